; rep-unbacked - REP MOVSB of 2^31 bytes from unbacked memory to unbacked
; memory (0xE0000000 to 0xD0000000: neither RAM nor a device). Each element
; reaches the bus; with --max-instructions N the run must stop after N
; executions, quickly.
;
; Expected on ringside: with a limit, end `limit`, exit code 124. Not run
; on QEMU.

%include "lib/kernel.inc"

section .text
main:
    println `rep-unbacked: rep movsb of 2^31 bytes between unbacked addresses`
    mov esi, 0xE0000000
    mov edi, 0xD0000000
    mov ecx, 0x80000000
rep_here:
    rep movsb
    mov al, EXIT_SUCCESS
    ret
