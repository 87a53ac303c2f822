; recurse - a recursive function: depth(3) calls itself from the same call site down to
; depth(0), and each level returns through the same `.back` label. Stepping back over a call
; (the debugger's N) from the outermost return must reach the outermost call of that site,
; not the deepest (the latest to execute).
;
; Expected on ringside and QEMU: two lines, exit code 1.

%include "lib/kernel.inc"

section .text
main:
    println `recurse: depth 3`
    mov ecx, 3
    call depth
    println `recurse: done`
    mov al, EXIT_SUCCESS
    ret

depth:                          ; ECX = levels below this one
    test ecx, ecx
    jz .bottom
    dec ecx
.call:
    call depth
.back:
    inc ecx
.bottom:
    ret
