; tsc-spin - spins until the TSC has advanced by 2^20 ticks and prints how
; many loop iterations that took (a kernel's TSC self-test in miniature).
;
; On ringside the count depends on the TSC rate (--tsc-per-instruction):
; each iteration retires 6 instructions, so at 1 tick per instruction the
; loop runs 2^20 / 6 times, at 1000 ticks per instruction 175 times.

%include "lib/kernel.inc"

SPAN equ 1 << 20

section .text
main:
    rdtsc
    mov esi, eax
    mov edi, edx
    xor ebx, ebx
.spin:
    inc ebx
    rdtsc
    sub eax, esi
    sbb edx, edi
    cmp eax, SPAN
    jb .spin
    print `tsc-spin: 2^20 ticks took `
    mov eax, ebx
    call put_dec
    println ` iterations`
    mov al, EXIT_SUCCESS
    jmp exit
