; bad-tss-ss0 - the TSS's SS0 is null; a ring-3 process executes CLI (#GP(0)
; at CPL 3 with IOPL 0). Delivering the #GP needs the ring-0 stack, which
; raises #TS; the #DF needs it too: the processor shuts down.
;
; Expected on ringside: end `shutdown` at `user_fault`, chain
; #GP(0) -> #TS(1) -> #DF -> #TS(1) -> shutdown, exit code 126.
; Expected on QEMU: the same line, then exit code 0 (-no-reboot).

%include "lib/kernel.inc"
%include "lib/user.inc"
%include "tests/drain.inc"

section .text
main:
    println `bad-tss-ss0: ss0 = 0, then a #GP at ring 3`
    call uart_drain
    mov word [tss + 8], 0           ; SS0: the null selector
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002                  ; EFLAGS: IF = 0, IOPL 0
    jmp enter_user

section .user_text
user_main:
    nop
user_fault:
    cli                             ; #GP(0) at CPL 3
    jmp user_main

section .user_data
align 16
user_stack: times 256 db 0
user_stack_top:
