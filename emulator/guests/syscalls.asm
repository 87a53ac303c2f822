; syscalls - a ring-3 process makes exactly 100,000 SYSENTER system calls.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/syscalls.txt.
;
; Seed, "Adverse impact on guest system calls": SYSENTER always enters ring 0
; and SYSEXIT faults outside ring 0. Under ring deprivileging every SYSENTER
; of the guest application reaches the VMM instead of the guest kernel, and
; every SYSEXIT of the guest kernel faults to the VMM: the VMM must emulate
; both (>= 2 interventions per call). Natively, and under VT-x, no monitor is
; involved at all.
;
; The kernel programs IA32_SYSENTER_CS/ESP/EIP, then IRETs to a ring-3
; process. For k = 1 .. 100000 the process calls SYS_MIX(k) with SYSENTER;
; the kernel counts the call and returns mix(k) = k * 0x9E3779B1 XOR count;
; the process folds every result into a checksum (rotate left 1, xor). At
; the end it reports through INT 0x80; the kernel prints the number of calls
; both sides saw and checks the checksum against its own computation.
; The process runs with IF = 0: no interrupts are involved.

%include "lib/kernel.inc"
%include "lib/msr.inc"
%include "lib/user.inc"

CALLS      equ 100000
SYS_MIX    equ 1
SYS_EXIT   equ 2                    ; INT 0x80: EBX = checksum, ECX = calls made
MIX_FACTOR equ 0x9E3779B1

section .data
kernel_calls: dd 0                  ; SYSENTER calls seen by the kernel

section .text
main:
    println `syscalls: a ring-3 process makes 100000 SYSENTER/SYSEXIT calls`
    mov eax, sysenter_entry
    mov ebx, kernel_stack_top
    call sysenter_setup
    print `sysenter msrs: cs=`
    mov ecx, IA32_SYSENTER_CS
    rdmsr
    call put_hex16
    print ` esp=`
    mov ecx, IA32_SYSENTER_ESP
    rdmsr
    call put_hex32
    print ` eip=`
    mov ecx, IA32_SYSENTER_EIP
    rdmsr
    call put_hex32
    call newline

    set_gate 0x80, int80_entry, GATE_INT_R3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002                  ; EFLAGS: IF = 0
    jmp enter_user

; SYSENTER lands here: CPL 0, CS = 0x08, SS = 0x10, ESP = kernel_stack_top,
; IF = 0. DS/ES still hold the user's flat selector, fine for this kernel.
; By this kernel's convention the caller passes its resume ESP in ECX and
; EIP in EDX, exactly what SYSEXIT wants.
sysenter_entry:
    cmp eax, SYS_MIX
    jne .bad
    inc dword [kernel_calls]
    imul eax, ebx, MIX_FACTOR
    xor eax, [kernel_calls]
    sysexit
.bad:
    println `sysenter: unknown system call`
    mov al, EXIT_FAILURE
    jmp exit

; INT 0x80 SYS_EXIT from the process: EBX = checksum, ECX = calls made.
int80_entry:
    mov dx, KERNEL_DS
    mov ds, dx
    mov es, dx
    cmp eax, SYS_EXIT
    jne sysenter_entry.bad
    mov esi, ebx
    mov eax, ecx
    print `user process made `
    call put_dec
    println ` calls`
    print `kernel handled `
    mov eax, [kernel_calls]
    call put_dec
    println ` sysenter calls`
    ; the checksum the process must have computed if every call was seen once
    xor edi, edi
    mov ebx, 1
.expect:
    imul eax, ebx, MIX_FACTOR
    xor eax, ebx
    rol edi, 1
    xor edi, eax
    inc ebx
    cmp ebx, CALLS + 1
    jne .expect
    print `checksum: `
    mov eax, esi
    call put_hex32
    cmp esi, edi
    jne .wrong
    cmp dword [kernel_calls], CALLS
    jne .wrong
    println ` (matches the kernel's computation)`
    mov al, EXIT_SUCCESS
    jmp exit
.wrong:
    print ` (expected `
    mov eax, edi
    call put_hex32
    println `)`
    mov al, EXIT_FAILURE
    jmp exit

section .user_text
; The ring-3 process.
user_main:
    xor esi, esi                    ; checksum
    mov ebp, 1                      ; k
.call:
    mov eax, SYS_MIX
    mov ebx, ebp
    mov ecx, esp                    ; resume here after SYSEXIT
    mov edx, .back
    sysenter
.back:
    rol esi, 1
    xor esi, eax
    inc ebp
    cmp ebp, CALLS + 1
    jne .call
    mov eax, SYS_EXIT
    mov ebx, esi
    lea ecx, [ebp - 1]
    int 0x80

section .user_data
align 16
user_stack: times 1024 db 0
user_stack_top:
