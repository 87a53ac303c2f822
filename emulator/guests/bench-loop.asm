; bench-loop - a tight ALU loop with an exactly known instruction count.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/bench-loop.txt.
;
; The workload for measuring raw interpretation speed: after the common
; start-up, 40,000,000 iterations of the 5-instruction body
;     add eax, ebx / rol eax, 5 / xor ebx, eax / dec ecx / jnz
; then one line with a checksum, then the debug-exit OUT.
;
; Exact retired-instruction count, from the first instruction at _start up
; to and including the OUT to port 0xF4:
;     total = 5 * ITERATIONS + 1757
;           = 5 * 40,000,000 + 1757 = 200,001,757
; The constant (start-up, printing, exit) assumes that every poll of the
; UART's line status register finds the transmitter ready on its first read
; (ringside's UART always does; so did QEMU when the constant was measured
; with -singlestep -d exec,nochain). The printed text has a fixed length
; (the iteration count and checksum are printed in hex) so that the
; constant does not depend on ITERATIONS. Any other ITERATIONS can be built
; with nasm -DITERATIONS=n; the formula holds for every n >= 1.

%include "lib/kernel.inc"

%ifndef ITERATIONS
%define ITERATIONS 40000000
%endif

section .text
main:
    mov eax, 1
    mov ebx, 0x9E3779B9
    mov ecx, ITERATIONS
.loop:
    add eax, ebx
    rol eax, 5
    xor ebx, eax
    dec ecx
    jnz .loop

    xor eax, ebx
    mov ebx, eax
    print `bench-loop: iterations=`
    mov eax, ITERATIONS
    call put_hex32
    print ` checksum=`
    mov eax, ebx
    call put_hex32
    call newline
    mov al, EXIT_SUCCESS
    ret
