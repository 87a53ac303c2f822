; pit-clock - PIT ticks measured against the instruction count.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/pit-clock.txt. QEMU runs it with the options below (read by the
; differential test and qemu-check.sh): with -icount shift=0 its guest time is
; one nanosecond per instruction, ringside's rule, so both run the same number
; of instructions per PIT tick, to the 0.01 % by which ringside's 838
; instructions differ from 838.1 ns.
;
; QEMU options: -icount shift=0
;
; PIT channel 0 in mode 2 with count 11000 interrupts every 11000 ticks; a
; two-instruction loop counts between interrupts; the guest prints the
; iterations of four periods in units of 10,000 (460 on both: 11000 * 838 / 2
; = 4,609,000 on ringside, 4,609,531 on QEMU).

%include "lib/kernel.inc"
%include "lib/pic.inc"

section .data
ticks:   dd 0
marks:   times 8 dd 0

section .text
main:
    println `pit-clock: PIT ticks against the instruction count`
    set_gate 0x20, irq0_handler, GATE_INT_R0
    call pic_remap
    mov al, 0xFF
    out 0xA1, al
    mov al, 0xFE
    out 0x21, al
    mov al, 0x34
    out 0x43, al
    mov al, 11000 & 0xff
    out 0x40, al
    mov al, 11000 >> 8
    out 0x40, al
    xor ecx, ecx
    sti
.count:
    inc ecx
    jmp .count

done:                               ; reached from the handler after six ticks
    cli
    mov al, 0xFF
    out 0x21, al
    ; iterations between tick 1 and tick 5 (four periods), skipping the first
    mov eax, [marks + 5 * 4]
    sub eax, [marks + 1 * 4]
    xor edx, edx
    mov ebx, 40000
    div ebx
    print `iterations per period / 10000: `
    call put_dec
    call newline
    println `done`
    mov al, EXIT_SUCCESS
    jmp exit

irq0_handler:
    push eax
    push edx
    mov edx, [ticks]
    mov [marks + edx * 4], ecx
    inc dword [ticks]
    mov al, 0x20
    out 0x20, al
    pop edx
    pop eax
    cmp dword [ticks], 6
    jae .finish
    iret
.finish:
    add esp, 12                     ; drop the interrupt frame: main's loop is over
    jmp done
