; ring-aliasing - the guest kernel looks at its own privilege level.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/ring-aliasing.txt.
;
; Seed, "Ring aliasing": the CS register holds the current privilege level
; in its low two bits, and several instructions hand CS (or its rights) to
; any software without faulting. A kernel written for ring 0 can therefore
; see that it was moved to another ring:
;   PUSH CS      pushes the selector; its RPL bits are the CPL
;   MOV r, CS    copies the selector
;   MOV r, SS    the SS selector's RPL also equals the CPL
;   LAR r, CS    reads the access rights of the code segment; DPL = CPL
;                (for a non-conforming code segment)
; Natively every line says 0 / 0x0008. A 0/1/3 VMM runs this kernel at
; ring 1 (lines say 1), a 0/3/3 VMM at ring 3 (lines say 3).

%include "lib/kernel.inc"

section .text
main:
    println `ring-aliasing: what privilege level does the kernel see?`

    ; PUSH CS: the pushed selector's low 2 bits
    push cs
    pop eax
    mov ebx, eax
    and eax, 3
    print `push cs: cpl=`
    call put_dec
    call newline

    ; MOV r16, CS: the selector itself
    xor eax, eax
    mov ax, cs
    print `mov cs: `
    call put_hex16
    call newline

    ; MOV r16, SS: a data selector whose RPL is the CPL too
    xor eax, eax
    mov ax, ss
    print `mov ss: `
    call put_hex16
    call newline

    ; LAR on the current CS: rights bits 13..14 are the descriptor's DPL
    xor ecx, ecx
    mov cx, cs
    lar eax, ecx
    jnz .lar_failed
    shr eax, 13
    and eax, 3
    print `lar cs: dpl=`
    call put_dec
    call newline

    ; conclusion, from PUSH CS (EBX)
    and ebx, 3
    jnz .not_ring0
    println `verdict: running at ring 0, as written`
    mov al, EXIT_SUCCESS
    ret
.not_ring0:
    print `verdict: NOT at ring 0 (ring `
    mov eax, ebx
    call put_dec
    println `): deprivileged`
    mov al, EXIT_SUCCESS
    ret
.lar_failed:
    println `lar cs: failed (ZF=0)`
    mov al, EXIT_FAILURE
    ret
