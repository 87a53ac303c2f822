; rep-outs - REP OUTSB of 2^31 bytes read from unbacked memory (no RAM, no
; device at 0xE0000000) to a port nothing claims (0x80 on ringside). Each
; execution of the instruction counts as one retired instruction: with
; --max-instructions N the run must stop after N of them, quickly, and its
; trace must hold one io_string event per execution, not one per byte.
;
; Expected on ringside: with a limit, end `limit`, exit code 124. Not run
; on QEMU (2^31 port writes).

%include "lib/kernel.inc"

section .text
main:
    println `rep-outs: rep outsb of 2^31 bytes to port 0x80`
    mov esi, 0xE0000000
    mov ecx, 0x80000000
    mov dx, 0x80
rep_here:
    rep outsb
    mov al, EXIT_SUCCESS
    ret
