; tasks - hardware task switching (SDM vol. 3A chapter 7, "Task Management").
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/tasks.txt.
;
; The kernel builds a larger GDT of its own with three more 32-bit TSSes
; (tasks B, C and D), a task gate for B and a TSS whose limit is too short
; (66H); paging is on (identity map of the first
; 4 MiB, CR3 in every TSS). Then:
;   1. far JMP to B's TSS; B jumps back (JMP leaves NT clear and no link);
;   2. far CALL to B's TSS; B returns with IRET through its back link;
;   3. far JMP and far CALL through the task gate;
;   4. INT 0x40 through a task gate in the IDT (nested: IRET back), then the
;      local APIC timer's interrupt through a task gate (taken in HLT);
;   5. #PF behind a task gate (task D): the error code on D's stack, CR2;
;      D moves the saved EIP of the kernel's task past the faulting write;
;   6. #DF behind a task gate (task C): a #PF (through an interrupt gate for
;      this step) whose frame cannot be pushed (ESP on an unmapped page)
;      raises a second #PF, hence #DF; C repairs the kernel's saved ESP and
;      EIP and returns with IRET;
;   7. the faults of a task switch: JMP to the too-short TSS (#TS), JMP to
;      the busy TSS of the running task and CALL to a busy TSS (#GP), and
;      IRET with NT set whose back link names an available TSS (#TS).
; Each task prints what it sees: NT, its back link, the busy bits of the
; TSS descriptors, CR0.TS (it clears it), and the kernel prints its own
; registers after each return (restored from its TSS). Nothing here reads
; TR with STR (a sensitive, non-trapping instruction under a software VMM).

%include "lib/kernel.inc"
%include "lib/paging.inc"
%include "lib/apic.inc"

TSS_B       equ 0x30
TSS_C       equ 0x38
TSS_D       equ 0x40
GATE_B      equ 0x48            ; task gate for TSS_B, DPL 0
TSS_SHORT   equ 0x50            ; limit 66H: one byte too short
TGDT_ENTRIES equ 12

EFLAGS_NT   equ 0x4000
CR0_TS      equ 0x8
TASK_VECTOR equ 0x40
TIMER_VECTOR equ 0x20

; a 32-bit TSS: %1 EIP, %2 ESP (the task's stack top)
%macro task_tss 2
    dd 0                        ; 0x00 previous task link
    dd %2, KERNEL_DS            ; 0x04 ESP0, SS0
    dd 0, 0, 0, 0               ; 0x0C ESP1, SS1, ESP2, SS2
    dd 0                        ; 0x1C CR3 (set once paging is on)
    dd %1                       ; 0x20 EIP
    dd 0x2                      ; 0x24 EFLAGS
    dd 0, 0, 0, 0               ; 0x28 EAX ECX EDX EBX
    dd %2, 0, 0, 0              ; 0x38 ESP EBP ESI EDI
    dd KERNEL_DS, KERNEL_CS, KERNEL_DS, KERNEL_DS, KERNEL_DS, KERNEL_DS ; 0x48 ES CS SS DS FS GS
    dd 0                        ; 0x60 LDT
    dw 0, 104                   ; 0x64 T, I/O map base
%endmacro

section .gdt
align 8
tgdt:
    times TGDT_ENTRIES dq 0
tgdt_end:

section .data
align 4
    dw 0
tgdt_descriptor:
    dw tgdt_end - tgdt - 1
    dd tgdt
align 16
tss_b: task_tss task_b, stack_b_top
align 16
tss_c: task_tss task_c, stack_c_top
align 16
tss_d: task_tss task_d, stack_d_top
align 16
tss_short: task_tss task_b, stack_b_top
resume_at: dd 0                 ; where the fault handler returns to
kernel_esp: dd 0

section .bss
alignb 4096
page_dir: resb 4096
alignb 16
stack_b: resb 1024
stack_b_top:
stack_c: resb 1024
stack_c_top:
stack_d: resb 1024
stack_d_top:

section .text
main:
    println `tasks: hardware task switching`
    ; the larger GDT: the library's first six entries, then ours
    mov esi, gdt
    mov edi, tgdt
    mov ecx, 0x30 / 4
    rep movsd
    lgdt [tgdt_descriptor]
    mov eax, TSS_B
    mov ebx, tss_b
    call set_tss
    mov eax, TSS_C
    mov ebx, tss_c
    call set_tss
    mov eax, TSS_D
    mov ebx, tss_d
    call set_tss
    mov eax, TSS_SHORT
    mov ebx, tss_short
    mov ecx, 0x66
    call set_tss_limit
    mov dword [tgdt + GATE_B], TSS_B << 16
    mov dword [tgdt + GATE_B + 4], 0x8500          ; present, DPL 0, task gate
    ; paging, and CR3 in every TSS (a task switch loads it)
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    call map_apic
    call paging_enable
    mov eax, cr3
    mov [tss + 0x1c], eax
    mov [tss_b + 0x1c], eax
    mov [tss_c + 0x1c], eax
    mov [tss_d + 0x1c], eax
    mov [tss_short + 0x1c], eax
    ; the IDT: task gates for #DF, #PF and vector 0x40; handlers for the expected faults
    mov dword [idt + 8 * 8], TSS_C << 16
    mov dword [idt + 8 * 8 + 4], 0x8500
    mov dword [idt + 14 * 8], TSS_D << 16
    mov dword [idt + 14 * 8 + 4], 0x8500
    mov dword [idt + TASK_VECTOR * 8], TSS_B << 16
    mov dword [idt + TASK_VECTOR * 8 + 4], 0x8500
    set_gate 10, fault_ts, GATE_INT_R0
    mov eax, 13
    mov ebx, fault_gp
    call idt_set_gate

    ; --- 1. JMP to a TSS
    println `1. jmp to tss b`
    mov ebx, 0x11111111
    call clear_ts
    jmp TSS_B:0
    call after_return

    ; --- 2. CALL to a TSS
    println `2. call to tss b`
    mov ebx, 0x22222222
    call TSS_B:0
    call after_return

    ; --- 3. JMP and CALL through a task gate
    println `3. jmp through the task gate`
    mov ebx, 0x33333333
    jmp GATE_B:0
    call after_return
    println `3. call through the task gate`
    mov ebx, 0x44444444
    call GATE_B:0
    call after_return

    ; --- 4. INT through a task gate in the IDT
    println `4. int 0x40 through a task gate`
    mov ebx, 0x55555555
    int TASK_VECTOR
    call after_return

    ; --- 4. an external interrupt through a task gate in the IDT
    println `4. timer interrupt through a task gate`
    mov dword [idt + TIMER_VECTOR * 8], TSS_B << 16
    mov dword [idt + TIMER_VECTOR * 8 + 4], 0x8500
    call apic_enable
    mov ebx, 0x58585858
    mov eax, TIMER_VECTOR           ; one-shot
    call apic_timer_start
    sti
    hlt                             ; task B runs (nested); its IRET returns after the HLT
    cli
    call apic_eoi
    call after_return

    ; --- 5. #PF behind a task gate
    println `5. page fault behind a task gate`
    mov ebx, 0x66666666
pf_write:
    mov dword [0x00800000], 1       ; not mapped: #PF (write, not present)
pf_skip:
    call after_return

    ; --- 6. #DF behind a task gate
    println `6. double fault behind a task gate`
    mov ebx, 0x77777777
    set_gate 14, unreachable, GATE_INT_R0 ; #PF through an interrupt gate for a moment
    mov ebx, 0x77777777
    mov [kernel_esp], esp
    mov esp, 0x00802000             ; not mapped
df_write:
    mov dword [0x00800000], 1       ; #PF; its frame cannot be pushed: #PF, then #DF
df_resume:                          ; task C sends the kernel here, ESP repaired
    call after_return

    ; --- 7. faults of the task switch
    println `7. faults`
    print `jmp to a tss with limit 0x66: `
    mov dword [resume_at], .f1
    jmp TSS_SHORT:0
.f1:
    print `jmp to the busy tss of this task: `
    mov dword [resume_at], .f2
    jmp TSS_SEL:0
.f2:
    print `call to a busy tss: `
    or byte [tgdt + TSS_B + 5], 2
    mov dword [resume_at], .f3
    call TSS_B:0
.f3:
    and byte [tgdt + TSS_B + 5], ~2
    print `iret with nt to an available tss: `
    mov word [tss], TSS_B
    mov dword [resume_at], .f4
    pushfd
    or dword [esp], EFLAGS_NT
    popfd
    iretd
.f4:
    mov word [tss], 0
    print `busy bits: kernel `
    movzx eax, byte [tgdt + TSS_SEL + 5]
    call put_hex8
    print ` b `
    movzx eax, byte [tgdt + TSS_B + 5]
    call put_hex8
    call newline
    println `done`
    mov al, EXIT_SUCCESS
    ret

; set_tss: EAX = selector, EBX = base: a 32-bit available TSS, limit 67H (set_tss_limit: ECX)
set_tss:
    mov ecx, 0x67
set_tss_limit:
    push edi
    push edx
    and eax, 0xfff8
    lea edi, [tgdt + eax]
    mov dl, ACC_TSS
    mov dh, FLG_BYTE
    call descriptor_write
    pop edx
    pop edi
    ret

clear_ts:
    clts
    ret

; after_return: what the kernel's task sees once it runs again
after_return:
    pushfd
    print `  back in the kernel task: ebx=`
    mov eax, ebx
    call put_hex32
    print ` nt=`
    mov eax, [esp]
    shr eax, 14
    and eax, 1
    call put_dec
    add esp, 4
    print ` cr0.ts=`
    mov eax, cr0
    shr eax, 3
    and eax, 1
    call put_dec
    clts
    print ` busy: kernel=`
    movzx eax, byte [tgdt + TSS_SEL + 5]
    shr eax, 1
    and eax, 1
    call put_dec
    print ` b=`
    movzx eax, byte [tgdt + TSS_B + 5]
    shr eax, 1
    and eax, 1
    call put_dec
    print ` link(kernel)=`
    movzx eax, word [tss]
    call put_hex16
    call newline
    ret

; print_task_state: ESI = name of the task, EDI = its TSS
print_task_state:
    call puts
    print `: nt=`
    pushfd
    pop eax
    shr eax, 14
    and eax, 1
    call put_dec
    print ` link=`
    movzx eax, word [edi]
    call put_hex16
    print ` cr0.ts=`
    mov eax, cr0
    shr eax, 3
    and eax, 1
    call put_dec
    clts
    print ` busy: kernel=`
    movzx eax, byte [tgdt + TSS_SEL + 5]
    shr eax, 1
    and eax, 1
    call put_dec
    print ` b=`
    movzx eax, byte [tgdt + TSS_B + 5]
    shr eax, 1
    and eax, 1
    call put_dec
    print ` kernel's saved eip=`
    mov eax, [tss + 0x20]
    sub eax, main
    call put_hex16
    call newline
    ret

; Task B: prints, then returns: IRET when nested (NT), else a JMP to the kernel's TSS.
task_b:
    mov ebx, 0xbbbbbbbb             ; the kernel's EBX must survive (it lives in its TSS)
    mov esi, name_b
    mov edi, tss_b
    call print_task_state
    pushfd
    test dword [esp], EFLAGS_NT
    lea esp, [esp + 4]
    jz .jmp
    iretd
    jmp task_b
.jmp:
    jmp TSS_SEL:0
    jmp task_b

; Task D: the page-fault task. Its stack holds the error code.
task_d:
    mov esi, name_d
    mov edi, tss_d
    call print_task_state
    print `  error code on task d's stack: `
    pop eax
    call put_hex32
    print ` cr2=`
    mov eax, cr2
    call put_hex32
    print ` faulting eip is pf_write: `
    cmp dword [tss + 0x20], pf_write
    sete al
    movzx eax, al
    call put_dec
    call newline
    mov dword [tss + 0x20], pf_skip
    iretd
    jmp task_d

; Task C: the double-fault task.
task_c:
    mov esi, name_c
    mov edi, tss_c
    call print_task_state
    print `  error code on task c's stack: `
    pop eax
    call put_hex32
    print ` kernel's saved esp=`
    mov eax, [tss + 0x38]
    call put_hex32
    print ` eip is df_write: `
    cmp dword [tss + 0x20], df_write
    sete al
    movzx eax, al
    call put_dec
    call newline
    mov dword [tss + 0x20], df_resume
    mov dword [idt + 14 * 8], TSS_D << 16 ; the task gate for #PF again
    mov dword [idt + 14 * 8 + 4], 0x8500
    mov eax, [kernel_esp]
    mov [tss + 0x38], eax
    iretd
    jmp task_c

unreachable:                        ; the #PF handler of step 6 is never entered
    println `#PF handler entered`
    mov al, EXIT_FAILURE
    jmp exit

; The expected faults: print the vector and error code, return to resume_at with NT clear.
fault_ts:
    push dword 10
    jmp fault_common
fault_gp:
    push dword 13
fault_common:
    print `#`
    pop eax
    call put_dec
    print `(`
    pop eax
    call put_hex16
    println `)`
    mov eax, [resume_at]
    mov [esp], eax
    and dword [esp + 8], ~EFLAGS_NT
    iretd

section .rodata
name_b: db "  task b", 0
name_c: db "  task c", 0
name_d: db "  task d", 0
