; empty-idt - loads an IDT whose limit is 0, then UD2: no exception can be
; delivered, so the #UD becomes #GP, #GP again, #DF, and the #DF's own #GP
; shuts the processor down (a triple fault).
;
; Expected on ringside: end `shutdown` at `faulting_insn`, chain
; #UD -> #GP(0x33) -> #GP(0x6b) -> #DF -> #GP(0x43) -> shutdown, exit code 126.
; Expected on QEMU: the same line, then exit code 0 (-no-reboot).

%include "lib/kernel.inc"
%include "tests/drain.inc"

section .data
align 4
    dw 0
empty_idt:                          ; operand of LIDT: limit 0, base 0
    dw 0
    dd 0

section .text
main:
    println `empty-idt: lidt with limit 0, then ud2`
    call uart_drain
    lidt [empty_idt]
faulting_insn:
    ud2
    jmp faulting_insn
