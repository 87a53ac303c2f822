; minikernel - a small real kernel: two ring-3 processes, preemptive
; round-robin on the APIC timer, INT 0x80 and SYSENTER system calls.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/minikernel.txt.
;
; What it is made of (every piece a VMM has to virtualize at once):
;   - GDT, IDT, TSS (ESP0 = the kernel stack for entries from ring 3);
;   - paging: each process has its own page directory. Both share the
;     kernel's page table (low 4 MiB identity-mapped, supervisor only, global
;     pages with CR4.PGE) in which only the ring-3 code pages are user
;     (read-only), and the APIC page (cache disabled). Each maps its own two
;     private pages at the same linear address USER_DATA (data + stack);
;   - two processes A (pid 1) and B (pid 2) running the same code at ring 3
;     with IF = 1, preempted by the periodic APIC timer (vector 0x20); the
;     context switch happens in the timer handler: save the trap frame into
;     the current PCB, load the other PCB's frame and CR3, IRET;
;   - system calls: INT 0x80 write(buf, len) and exit(status); SYSENTER
;     getpid() and yield(), returning with SYSEXIT (STI; SYSEXIT) when the
;     caller continues, with IRET when the kernel switched processes.
;
; Output order does not depend on when the timer fires: each process
; computes a value per line (WORK iterations of an LCG step, about 100,000
; instructions), and write() only succeeds on the writer's turn (A, B, A,
; B, ...); otherwise it returns -1 and the process yields and retries. Each
; process runs ~0.8 million instructions, so the timer preempts both many
; times (how many, and how many retries, is never printed). The kernel ends
; with a summary line once both processes have exited.

%include "lib/kernel.inc"
%define PT_POOL_PAGES 6
%include "lib/paging.inc"
%include "lib/apic.inc"
%include "lib/msr.inc"

TIMER_VECTOR  equ 0x20
LINES         equ 8                 ; lines per process
WORK          equ 20000             ; LCG steps per line (5 instructions each)

; system calls
SYS_WRITE     equ 1                 ; INT 0x80: EBX = buffer, ECX = length -> length, or -1
SYS_EXIT      equ 2                 ; INT 0x80: EBX = status, does not return
SYS_GETPID    equ 3                 ; SYSENTER -> pid
SYS_YIELD     equ 4                 ; SYSENTER -> 0
E_AGAIN       equ -1                ; write: not this process's turn
E_FAULT       equ -14               ; write: buffer outside the process's data page
E_NOSYS       equ -38

; every process's private pages, at the same linear address
USER_DATA     equ 0x00800000        ; data page
USER_STACK    equ 0x00801000        ; stack page
USER_STACK_TOP equ 0x00802000
U_PID         equ USER_DATA + 0
U_X           equ USER_DATA + 4
U_LINE        equ USER_DATA + 8
U_BUF         equ USER_DATA + 64

; The trap frame, always at the same place: the top of kernel_stack. Every
; entry from ring 3 (interrupt, INT 0x80, SYSENTER) builds it.
F_EDI    equ 0                      ; pushad ...
F_ESI    equ 4
F_EBP    equ 8
F_EBX    equ 16
F_EDX    equ 20
F_ECX    equ 24
F_EAX    equ 28
F_ES     equ 32
F_DS     equ 36
F_EIP    equ 40                     ; ... and the IRET frame
F_CS     equ 44
F_EFLAGS equ 48
F_ESP    equ 52
F_SS     equ 56
FRAME_SIZE equ 60
FRAME    equ kernel_stack_top - FRAME_SIZE

; process control block
PCB_FRAME  equ 0                    ; saved trap frame
PCB_CR3    equ 60
PCB_ALIVE  equ 64
PCB_STATUS equ 68
PCB_PID    equ 72
PCB_PAGES  equ 76                   ; physical address of the private pages
PCB_SIZE   equ 80
NPROC      equ 2

section .bss
alignb 4096
page_dir_a:  resb 4096
page_dir_b:  resb 4096
proc_pages:  resb 4096 * 2 * NPROC  ; data + stack page per process
pcbs:        resb PCB_SIZE * NPROC

section .data
current:      dd 0                  ; index of the running process
turn:         dd 0                  ; index of the process allowed to write
switched:     dd 0                  ; set when an entry changed the current process
lines_written: dd 0

section .text
main:
    println `minikernel: two ring-3 processes, timer round-robin, int 0x80 and sysenter`

    ; --- address spaces
    mov edi, page_dir_a
    mov ecx, PTE_G
    call map_kernel
    call map_apic
    mov esi, page_dir_a             ; B shares the kernel and APIC page tables
    mov edi, page_dir_b
    mov ecx, 1024
    rep movsd
    mov eax, cr4
    or eax, CR4_PGE
    mov cr4, eax
    xor ebp, ebp                    ; process index
.proc:
    imul ebx, ebp, PCB_SIZE
    add ebx, pcbs
    mov edi, page_dir_a
    test ebp, ebp
    jz .have_pd
    mov edi, page_dir_b
.have_pd:
    mov [ebx + PCB_CR3], edi
    mov eax, ebp
    shl eax, 13                     ; two pages per process
    add eax, proc_pages
    mov [ebx + PCB_PAGES], eax
    mov edx, eax
    mov eax, USER_DATA
    mov ecx, PTE_U | PTE_W
    call map_page
    add edx, 4096
    mov eax, USER_STACK
    call map_page
    lea eax, [ebp + 1]
    mov [ebx + PCB_PID], eax
    mov dword [ebx + PCB_ALIVE], 1
    ; initial frame: start at user_main with IF = 1
    mov dword [ebx + F_DS], USER_DS
    mov dword [ebx + F_ES], USER_DS
    mov dword [ebx + F_EIP], user_main
    mov dword [ebx + F_CS], USER_CS
    mov dword [ebx + F_EFLAGS], 0x202
    mov dword [ebx + F_ESP], USER_STACK_TOP
    mov dword [ebx + F_SS], USER_DS
    print `process `
    mov al, 'A'
    add eax, ebp
    call putc
    print `: pid `
    mov eax, [ebx + PCB_PID]
    call put_dec
    print `, page directory `
    mov eax, [ebx + PCB_CR3]
    call put_hex32
    print `, `
    mov eax, USER_DATA
    call put_hex32
    print ` -> `
    mov eax, [ebx + PCB_PAGES]
    call put_hex32
    call newline
    inc ebp
    cmp ebp, NPROC
    jne .proc

    mov edi, page_dir_a
    call paging_enable
    println `paging on (cr0.pg, cr0.wp, cr4.pge)`

    ; --- entries from ring 3
    set_gate TIMER_VECTOR, timer_entry, GATE_INT_R0
    set_gate 0x80, int80_entry, GATE_INT_R3
    mov eax, sysenter_entry
    mov ebx, kernel_stack_top
    call sysenter_setup

    ; --- start the timer and the first process
    call apic_enable
    mov eax, TIMER_VECTOR | LVT_PERIODIC
    call apic_timer_start
    println `timer: periodic, vector 0x20; starting process A`
    mov dword [current], 0
    mov esp, FRAME
    mov esi, pcbs
    call load_frame
    jmp return_to_user

; ---------------------------------------------------------------------------
; Kernel entries. All run with IF = 0 on kernel_stack; the frame is at FRAME.

%macro enter_kernel 0
    push ds
    push es
    pushad
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    cld
    mov dword [switched], 0
%endmacro

; The periodic timer: preempt the running process.
timer_entry:
    enter_kernel
    call apic_eoi
    call switch_to_other
return_to_user:
    popad
    pop es
    pop ds
    iret

; INT 0x80: write and exit.
int80_entry:
    enter_kernel
    mov eax, [FRAME + F_EAX]
    cmp eax, SYS_WRITE
    je .write
    cmp eax, SYS_EXIT
    je .exit
    mov dword [FRAME + F_EAX], E_NOSYS
    jmp return_to_user
.write:
    call sys_write
    jmp return_to_user
.exit:
    call sys_exit
    jmp return_to_user

; SYSENTER: getpid and yield. By this kernel's convention the caller passes
; its resume ESP in ECX and EIP in EDX; an IRET frame is built from them so
; that the process can also be resumed by IRET after a switch.
sysenter_entry:
    push dword USER_DS              ; SS
    push ecx                        ; ESP
    pushfd
    or dword [esp], 0x200           ; the process runs with IF = 1
    push dword USER_CS              ; CS
    push edx                        ; EIP
    enter_kernel
    mov eax, [FRAME + F_EAX]
    cmp eax, SYS_GETPID
    je .getpid
    cmp eax, SYS_YIELD
    je .yield
    mov dword [FRAME + F_EAX], E_NOSYS
    jmp .return
.getpid:
    mov eax, [current]
    imul eax, eax, PCB_SIZE
    mov eax, [pcbs + eax + PCB_PID]
    mov [FRAME + F_EAX], eax
    jmp .return
.yield:
    mov dword [FRAME + F_EAX], 0
    call switch_to_other
.return:
    cmp dword [switched], 0
    jne return_to_user              ; another process: resume it with IRET
    popad                           ; same process: the fast way back
    pop es
    pop ds
    mov edx, [esp]                  ; EIP
    mov ecx, [esp + 12]             ; ESP
    sti                             ; (no interrupt before SYSEXIT completes)
    sysexit

; ---------------------------------------------------------------------------
; sys_write: EBX = buffer, ECX = length (from the frame). Only on the
; caller's turn; then the turn passes to the other process if it is alive.
sys_write:
    mov eax, [current]
    cmp eax, [turn]
    jne .again
    mov esi, [FRAME + F_EBX]
    mov ecx, [FRAME + F_ECX]
    cmp esi, USER_DATA              ; the buffer must lie in the data page
    jb .fault
    cmp ecx, 4096
    ja .fault
    lea edx, [esi + ecx]
    cmp edx, USER_DATA + 4096
    ja .fault
    mov [FRAME + F_EAX], ecx
    jecxz .done
.byte:
    lodsb                           ; through the caller's page directory
    call putc
    dec ecx
    jnz .byte
.done:
    inc dword [lines_written]
    call other_index
    jc .ret                         ; the other process has exited
    mov [turn], eax
.ret:
    ret
.again:
    mov dword [FRAME + F_EAX], E_AGAIN
    ret
.fault:
    mov dword [FRAME + F_EAX], E_FAULT
    ret

; sys_exit: EBX = status. Run the other process, or finish.
sys_exit:
    mov eax, [current]
    imul eax, eax, PCB_SIZE
    mov dword [pcbs + eax + PCB_ALIVE], 0
    mov edx, [FRAME + F_EBX]
    mov [pcbs + eax + PCB_STATUS], edx
    call other_index
    jc all_done
    mov [current], eax
    mov [turn], eax
    imul esi, eax, PCB_SIZE
    add esi, pcbs
    call load_frame
    mov dword [switched], 1
    ret

; switch_to_other: if the other process is alive, save the frame into the
; current PCB and load the other's frame and address space.
switch_to_other:
    call other_index
    jc .stay
    push eax
    mov edi, [current]
    imul edi, edi, PCB_SIZE
    add edi, pcbs
    mov esi, FRAME
    mov ecx, FRAME_SIZE / 4
    rep movsd
    pop eax
    mov [current], eax
    imul esi, eax, PCB_SIZE
    add esi, pcbs
    call load_frame
    mov dword [switched], 1
.stay:
    ret

; load_frame: ESI = PCB. Copy its frame to FRAME and load its CR3.
load_frame:
    mov eax, [esi + PCB_CR3]
    mov edi, FRAME
    mov ecx, FRAME_SIZE / 4
    rep movsd
    mov cr3, eax
    ret

; other_index: EAX = index of the other process; CF = 1 if it has exited.
other_index:
    mov eax, [current]
    xor eax, 1
    push eax
    imul eax, eax, PCB_SIZE
    cmp dword [pcbs + eax + PCB_ALIVE], 1
    pop eax
    ret                             ; CF = 1 iff alive (1) > value, i.e. alive = 0

; Both processes have exited: summary, stop the timer, exit.
all_done:
    call apic_timer_stop
    print `minikernel: both processes exited; lines written: `
    mov eax, [lines_written]
    call put_dec
    print `; status A=`
    mov eax, [pcbs + PCB_STATUS]
    call put_hex32
    print ` B=`
    mov eax, [pcbs + PCB_SIZE + PCB_STATUS]
    call put_hex32
    call newline
    mov al, EXIT_SUCCESS
    cmp dword [lines_written], LINES * NPROC
    je .ok
    mov al, EXIT_FAILURE
.ok:
    jmp exit

; ---------------------------------------------------------------------------
; The ring-3 program, run by both processes (user pages, read-only). Its
; variables live at USER_DATA, which each process maps to its own page.
section .user_text
user_main:
    mov eax, SYS_GETPID
    call u_sysenter
    mov [U_PID], eax
    imul eax, eax, 0x01234567       ; seed: different per process
    mov [U_X], eax
    mov dword [U_LINE], 1
.line:
    mov eax, [U_X]                  ; the work: WORK steps of an LCG + rotate
    mov ecx, WORK
.step:
    imul eax, eax, 1664525
    add eax, 1013904223
    rol eax, 7
    dec ecx
    jnz .step
    mov [U_X], eax
    ; "process A line 1/8: x=0x........\n"
    mov edi, U_BUF
    mov esi, u_str_process
    call u_copy
    mov al, [U_PID]
    add al, 'A' - 1
    stosb
    mov esi, u_str_line
    call u_copy
    mov al, [U_LINE]
    add al, '0'
    stosb
    mov esi, u_str_of
    call u_copy
    mov eax, [U_X]
    call u_hex
    mov al, 10
    stosb
    mov ecx, edi
    sub ecx, U_BUF
.write:                             ; write on our turn, else yield and retry
    mov eax, SYS_WRITE
    mov ebx, U_BUF
    int 0x80
    cmp eax, E_AGAIN
    jne .written
    push ecx
    mov eax, SYS_YIELD
    call u_sysenter
    pop ecx
    jmp .write
.written:
    inc dword [U_LINE]
    cmp dword [U_LINE], LINES + 1
    jne .line
    mov eax, SYS_EXIT
    mov ebx, [U_X]
    int 0x80

; u_sysenter: system call EAX through SYSENTER; result in EAX. Clobbers ECX,
; EDX (they carry the resume ESP and EIP).
u_sysenter:
    mov ecx, esp
    mov edx, .back
    sysenter
.back:
    ret

; u_copy: copy the NUL-terminated string at ESI to EDI (without the NUL).
u_copy:
    lodsb
    test al, al
    jz .done
    stosb
    jmp u_copy
.done:
    ret

; u_hex: "0x" and 8 hex digits of EAX at EDI.
u_hex:
    mov edx, eax
    mov ax, '0x'
    stosw
    mov ecx, 8
.digit:
    rol edx, 4
    mov eax, edx
    and eax, 0xF
    mov al, [u_hex_digits + eax]
    stosb
    dec ecx
    jnz .digit
    ret

u_str_process: db "process ", 0
u_str_line:    db " line ", 0
u_str_of:      db "/8: x=", 0
u_hex_digits:  db "0123456789abcdef"
