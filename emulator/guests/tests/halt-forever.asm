; halt-forever - prints one line, then CLI; HLT: the CPU halts for good.
;
; Expected on ringside: end `halt`, exit code 0. On QEMU the machine stays
; halted (no exit): only the line is comparable.

%include "lib/kernel.inc"
%include "tests/drain.inc"

section .text
main:
    println `halt-forever: cli; hlt`
    call uart_drain
    cli
halt_here:
    hlt
    jmp halt_here
