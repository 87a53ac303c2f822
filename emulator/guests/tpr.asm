; tpr - 100,000 writes to the local APIC's task-priority register.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/tpr.txt.
;
; Seed, "Frequent access to privileged resources": some OSs raise and lower
; the TPR very often. A VMM must not give the guest the real TPR, so every
; access faults to it (software VMMs: the APIC page is not mapped for the
; guest), although only a write that drops the TPR below what the VMM cares
; about (a pending interrupt's priority) really needs the VMM; VT-x's TPR
; shadow with a TPR threshold makes the other writes free.
;
; The kernel does 50,000 rounds of "raise to 0x20, lower to 0x00" = exactly
; 100,000 TPR writes. Every 5,000 rounds, after the raise, it reads TPR and
; PPR back and checks that both are 0x20 (no interrupt is in service, so
; PPR = TPR). It prints the number of writes, the number of read-backs and
; whether they matched, and the final TPR and PPR. No interrupts are used.

%include "lib/kernel.inc"
%include "lib/apic.inc"

ROUNDS       equ 50000
CHECK_EVERY  equ 5000
TPR_HIGH     equ 0x20
TPR_LOW      equ 0x00

section .data
writes:     dd 0
readbacks:  dd 0
mismatches: dd 0

section .text
main:
    println `tpr: 100000 writes to the APIC task-priority register`
    call apic_enable
    mov ecx, ROUNDS
    mov ebx, CHECK_EVERY
.round:
    mov APIC_REG(APIC_TPR), TPR_HIGH        ; raise
    inc dword [writes]
    dec ebx
    jnz .lower
    mov ebx, CHECK_EVERY                    ; occasionally: read back
    inc dword [readbacks]
    mov eax, APIC_REG(APIC_TPR)
    and eax, 0xFF
    cmp eax, TPR_HIGH
    jne .bad
    mov eax, APIC_REG(APIC_PPR)
    and eax, 0xFF
    cmp eax, TPR_HIGH
    je .lower
.bad:
    inc dword [mismatches]
.lower:
    mov APIC_REG(APIC_TPR), TPR_LOW         ; lower
    inc dword [writes]
    dec ecx
    jnz .round

    print `tpr writes: `
    mov eax, [writes]
    call put_dec
    call newline
    print `read-backs: `
    mov eax, [readbacks]
    call put_dec
    print ` (tpr and ppr = 0x20 after a raise), mismatches: `
    mov eax, [mismatches]
    call put_dec
    call newline
    print `final tpr: `
    mov eax, APIC_REG(APIC_TPR)
    and eax, 0xFF
    call put_hex8
    print ` ppr: `
    mov eax, APIC_REG(APIC_PPR)
    and eax, 0xFF
    call put_hex8
    call newline
    mov al, EXIT_SUCCESS
    cmp dword [mismatches], 0
    je .done
    mov al, EXIT_FAILURE
.done:
    ret
