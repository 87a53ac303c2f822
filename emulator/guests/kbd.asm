; kbd - the 8042 keyboard controller and the PS/2 keyboard behind it.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/kbd.txt (with nothing typed). With keys typed (ringside run
; --keyboard FILE), the last line lists their scancodes.
;
;  1. the keyboard is disabled (0xAD) and anything already in the output buffer
;     is kept as typed; status, command byte, self-test 0xAA, port test 0xAB,
;     output port (0xD0) and a write of it (0xD1; A20 stays on: with A20 off
;     a kernel at 1 MiB would run into its alias below 1 MiB on QEMU); port
;     0x92 (fast A20);
;  2. keyboard commands: echo, identify, reset, LEDs, scancode set query;
;  3. IRQ 1: a byte put in the output buffer with 0xD2 reaches the handler;
;  4. the keyboard enabled again: what arrives within a fixed time is printed.

%include "lib/kernel.inc"
%include "lib/pic.inc"

section .data
typed:      times 64 db 0
typed_n:    dd 0
irq1_byte:  dd 0xffff
irq1_count: dd 0

section .text
; wait_out: waits (bounded) for the output buffer; CF set if nothing came.
wait_out:
    push ecx
    mov ecx, 1000000
.poll:
    in al, 0x64
    test al, 1
    jnz .full
    loop .poll
    pop ecx
    stc
    ret
.full:
    pop ecx
    clc
    ret

; ctl: AL = controller command (0x64)
ctl:
    out 0x64, al
    ret

; reply: prints the next output byte (or "--" if none)
reply:
    call wait_out
    jc .none
    in al, 0x60
    call put_hex8
    mov al, ' '
    jmp putc
.none:
    print `-- `
    ret

; kbd_cmd: AL = byte for the keyboard (0x60), then prints up to BL replies
kbd_cmd:
    out 0x60, al
.r:
    call reply
    dec bl
    jnz .r
    call newline
    ret

; keep_typed: moves any byte waiting in the output buffer into typed[]
keep_typed:
    in al, 0x64
    test al, 1
    jz .done
    in al, 0x60
    mov edx, [typed_n]
    cmp edx, 64
    jae keep_typed
    mov [typed + edx], al
    inc dword [typed_n]
    jmp keep_typed
.done:
    ret

main:
    println `kbd: the 8042 and the PS/2 keyboard`
    mov al, 0xAD
    call ctl
    call keep_typed
    print `status `
    in al, 0x64
    call put_hex8
    print ` command byte `
    mov al, 0x20
    call ctl
    call reply
    print `self-test `
    mov al, 0xAA
    call ctl
    call reply
    print `port test `
    mov al, 0xAB
    call ctl
    call reply
    print `status after a command `
    in al, 0x64
    call put_hex8
    call newline
    print `output port `
    mov al, 0xD0
    call ctl
    call reply
    mov al, 0xD1                    ; write the output port: A20 stays on (a
    call ctl                        ; kernel at 1 MiB cannot turn it off), and
    mov al, 0xCB                    ; not in reset; bit 2 cleared
    out 0x60, al
    print `after writing 0xcb `
    mov al, 0xD0
    call ctl
    call reply
    print `port 0x92 `
    in al, 0x92
    call put_hex8
    mov al, 0x02                    ; fast A20 on, no reset
    out 0x92, al
    print ` after writing 0x02 `
    in al, 0x92
    call put_hex8
    call newline

    print `echo: `
    mov al, 0xEE
    mov bl, 1
    call kbd_cmd
    print `identify: `
    mov al, 0xF2
    mov bl, 3
    call kbd_cmd
    print `reset: `
    mov al, 0xFF
    mov bl, 2
    call kbd_cmd
    print `leds: `
    mov al, 0xED
    mov bl, 1
    call kbd_cmd
    print `  data: `
    mov al, 0x00
    mov bl, 1
    call kbd_cmd
    print `scancode set query: `
    mov al, 0xF0
    mov bl, 1
    call kbd_cmd
    print `  data 0: `
    mov al, 0x00
    mov bl, 2
    call kbd_cmd

    ; IRQ 1 through the 8259s
    set_gate 0x21, irq1_handler, GATE_INT_R0
    call pic_remap
    mov al, 0xFD                    ; IRQ 1 only
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    mov al, 0xD2
    call ctl
    mov al, 0x5A
    out 0x60, al
    sti
    mov ecx, 1000000
.wait:
    cmp dword [irq1_count], 0
    jne .got
    loop .wait
.got:
    cli
    print `irq 1 delivered `
    mov eax, [irq1_count]
    call put_dec
    print ` time(s), byte `
    mov eax, [irq1_byte]
    call put_hex8
    call newline
    mov al, 0xFF
    out 0x21, al

    ; typed keys
    mov al, 0xAE
    call ctl
    mov ecx, 20
.collect:
    push ecx
    mov ecx, 100000
.spin:
    loop .spin
    pop ecx
    call keep_typed
    loop .collect
    print `typed:`
    xor ecx, ecx
.show:
    cmp ecx, [typed_n]
    jae .shown
    mov al, ' '
    call putc
    movzx eax, byte [typed + ecx]
    call put_hex8
    inc ecx
    jmp .show
.shown:
    call newline
    println `done`
    mov al, EXIT_SUCCESS
    ret

irq1_handler:
    push eax
    in al, 0x60
    movzx eax, al
    mov [irq1_byte], eax
    inc dword [irq1_count]
    mov al, 0x20
    out 0x20, al
    pop eax
    iret
