; ring-compression - a ring-3 process tries to read and write kernel memory.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/ring-compression.txt.
;
; Seed, "Ring compression": paging only knows two privilege classes,
; supervisor (CPL 0-2) and user (CPL 3). A 0/3/3 VMM runs the guest kernel at
; ring 3 too, so the guest kernel's pages must be user-accessible while it
; runs; if the same (shared) shadow page table also serves the guest's
; applications, they can read and write guest-kernel memory. Under a 0/1/3
; VMM, or with split shadow tables, the kernel stays protected.
;
; The kernel turns paging on (its pages supervisor-only, the ring-3 sections
; user pages), keeps a secret in a kernel page, and starts a ring-3 process
; that (1) reads the secret and (2) overwrites it. Natively both accesses
; raise #PF (error 0x5: present, read, user; 0x7: present, write, user); the
; handler reports the fault and resumes the process after the access. If an
; access does not fault the process reports what it read / that it wrote.
; At the end the kernel checks whether its secret is intact.

%include "lib/kernel.inc"
%include "lib/paging.inc"
%include "lib/user.inc"

SECRET      equ 0x5EC2E75E
OVERWRITE   equ 0xBADC0DE5
SYS_REPORT  equ 1                   ; INT 0x80: EBX = 1 read / 2 write, ECX = value
SYS_EXIT    equ 2

section .data
align 4096
kernel_secret: dd SECRET            ; a supervisor page of its own
align 4

section .bss
alignb 4096
page_dir: resb 4096

section .text
main:
    println `ring-compression: can a ring-3 process touch kernel memory?`
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    call paging_enable
    print `kernel secret at `
    mov eax, kernel_secret
    call put_hex32
    print ` (supervisor page) = `
    mov eax, [kernel_secret]
    call put_hex32
    call newline

    set_gate 14, page_fault_handler, GATE_INT_R0
    set_gate 0x80, syscall_handler, GATE_INT_R3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002
    jmp enter_user

; #PF. From the process at one of its two probes: report and resume after
; the probe. Anything else is a real bug.
page_fault_handler:
    push eax
    push ebx
    push ds
    mov ax, KERNEL_DS
    mov ds, ax
    mov eax, [esp + 16]             ; saved EIP
    mov ebx, user_main.read_resume
    cmp eax, user_main.read_probe
    je .known
    mov ebx, user_main.write_resume
    cmp eax, user_main.write_probe
    jne .unexpected
.known:
    mov [esp + 16], ebx
    cmp eax, user_main.read_probe
    jne .write
    print `user read of kernel page: faulted (#PF err=`
    jmp .details
.write:
    print `user write to kernel page: faulted (#PF err=`
.details:
    mov eax, [esp + 12]             ; error code
    call put_hex32
    print ` cr2=`
    mov eax, cr2
    call put_hex32
    println `)`
    pop ds
    pop ebx
    pop eax
    add esp, 4                      ; drop the error code
    iret
.unexpected:
    pop ds
    pop ebx
    pop eax
    jmp exception_14

; INT 0x80 from the process.
syscall_handler:
    push ds
    push eax
    mov ax, KERNEL_DS
    mov ds, ax
    pop eax
    cmp eax, SYS_REPORT
    je .report
    cmp eax, SYS_EXIT
    je .exit
    println `unknown system call`
    mov al, EXIT_FAILURE
    jmp exit
.report:
    cmp ebx, 1
    jne .wrote
    print `user read of kernel page: did not fault, read `
    mov eax, ecx
    call put_hex32
    call newline
    pop ds
    iret
.wrote:
    print `user write to kernel page: did not fault, wrote `
    mov eax, ecx
    call put_hex32
    call newline
    pop ds
    iret
.exit:
    print `kernel secret after the process: `
    mov eax, [kernel_secret]
    call put_hex32
    cmp eax, SECRET
    jne .changed
    println ` (intact)`
    mov al, EXIT_SUCCESS
    jmp exit
.changed:
    println ` (overwritten by ring 3)`
    mov al, EXIT_SUCCESS
    jmp exit

section .user_text
user_main:
.read_probe:
    mov ecx, [kernel_secret]        ; #PF natively
    mov eax, SYS_REPORT
    mov ebx, 1
    int 0x80
.read_resume:
    mov ecx, OVERWRITE
.write_probe:
    mov [kernel_secret], ecx        ; #PF natively
    mov eax, SYS_REPORT
    mov ebx, 2
    int 0x80
.write_resume:
    mov eax, SYS_EXIT
    int 0x80

section .user_data
align 16
user_stack: times 1024 db 0
user_stack_top:
