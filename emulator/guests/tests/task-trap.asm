; task-trap - a task switch to a task with its own address space (CR3), its
; own LDT, a data segment from that LDT in DS, and the T (debug trap) bit set
; in its TSS.
;
;  1. far JMP to task E: the #DB the T bit asks for arrives before E's first
;     instruction, with DR6.BT set, in E's context (its TSS is TR, EIP is
;     E's entry point);
;  2. task E reads 0x00800000, mapped only by its own page directory, and
;     DS:0 through the LDT selector 0x0C (base: the same page), then jumps
;     back to the kernel's task, whose CR3 and LDTR (null) are restored.
;
; Expected on ringside (every mode): the lines in the test
; (tests/emulator/monitors/task-switch.test.ts), exit code 1. QEMU 7.2 does
; not implement the T bit (its task switch ignores it), so this guest is not
; compared with QEMU; the SDM (vol. 3A 7.2.1, 17.3.1.5) defines the trap.

%include "lib/kernel.inc"
%include "lib/paging.inc"

TSS_E       equ 0x30
LDT_E       equ 0x38
LDT_DATA    equ 0x0C                ; LDT index 1, TI = 1, RPL 0
MAGIC       equ 0x5a17c0de

section .data
align 16
tss_e:
    dd 0                            ; link
    dd stack_e_top, KERNEL_DS       ; ESP0, SS0
    dd 0, 0, 0, 0
    dd 0                            ; CR3: page_dir_e
    dd task_e                       ; EIP
    dd 0x2                          ; EFLAGS
    dd 0, 0, 0, 0
    dd stack_e_top, 0, 0, 0
    dd KERNEL_DS, KERNEL_CS, KERNEL_DS, LDT_DATA, KERNEL_DS, KERNEL_DS
    dd LDT_E                        ; LDT
    dw 1, 104                       ; T = 1, I/O map base
align 8
ldt_e:
    dq 0
    dq 0                            ; 0x08: data segment over magic_page (filled at run time)

section .bss
alignb 4096
page_dir: resb 4096
page_dir_e: resb 4096
magic_page: resb 4096
stack_e: resb 1024
stack_e_top:

section .text
main:
    println `task-trap: T bit, CR3 and LDT of a new task`
    mov dword [magic_page], MAGIC
    mov edi, ldt_e + 8
    mov ebx, magic_page
    mov ecx, 0xfff
    mov dl, ACC_DATA_R0
    mov dh, FLG_BYTE | 4
    call descriptor_write
    mov eax, LDT_E
    mov ebx, ldt_e
    mov ecx, 15
    mov dl, ACC_LDT
    mov dh, FLG_BYTE
    call gdt_set
    mov eax, TSS_E
    mov ebx, tss_e
    mov ecx, 0x67
    mov dl, ACC_TSS
    call gdt_set
    ; two address spaces: the kernel's, and E's with 0x00800000 -> magic_page
    mov edi, page_dir_e
    xor ecx, ecx
    call map_kernel
    mov eax, 0x00800000
    mov edx, magic_page
    mov ecx, PTE_W
    call map_page
    mov [tss_e + 0x1c], edi
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    call paging_enable
    mov [tss + 0x1c], edi
    set_gate 1, debug_trap, GATE_INT_R0

    println `jmp to task e`
    jmp TSS_E:0
    print `back in the kernel task: cr3 is its own: `
    mov eax, cr3
    cmp eax, page_dir
    sete al
    movzx eax, al
    call put_dec
    print ` ds=`
    mov eax, ds
    call put_hex16
    print ` busy: kernel=`
    movzx eax, byte [gdt + TSS_SEL + 5]
    call put_hex8
    print ` e=`
    movzx eax, byte [gdt + TSS_E + 5]
    call put_hex8
    call newline
    mov al, EXIT_SUCCESS
    ret

debug_trap:
    push ds
    push eax
    mov ax, KERNEL_DS
    mov ds, ax
    print `#DB: dr6.bt=`
    mov eax, dr6
    shr eax, 15
    and eax, 1
    call put_dec
    print ` eip is task_e: `
    cmp dword [esp + 8], task_e
    sete al
    movzx eax, al
    call put_dec
    print ` cr3 is e's: `
    mov eax, cr3
    cmp eax, page_dir_e
    sete al
    movzx eax, al
    call put_dec
    call newline
    xor eax, eax
    mov dr6, eax
    pop eax
    pop ds
    iretd

task_e:
    mov esi, [es:0x00800000]        ; only E's page directory maps it
    mov edi, [ds:0]                 ; DS: the LDT's data segment
    mov ax, ds
    movzx ebp, ax
    mov ax, KERNEL_DS
    mov ds, ax
    print `task e: [0x800000]=`
    mov eax, esi
    call put_hex32
    print ` ds=`
    mov eax, ebp
    call put_hex16
    print ` ds:[0]=`
    mov eax, edi
    call put_hex32
    call newline
    jmp TSS_SEL:0
