; vga-debugcon - QEMU's debug console (port 0xE9) and the VGA text screen.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/vga-debugcon.txt. The debug console output (QEMU: -debugcon
; file:F) is expected/vga-debugcon.debugcon.txt: a line, then the value port
; 0xE9 reads back, as two hex digits.
;
; On COM1: the CRTC registers 0x00-0x18 as the firmware leaves them, then
; after the guest clears the screen, writes three lines and moves the cursor
; (CRTC 0x0E/0x0F) to the end of the last one, the cursor registers read back.
; The screen itself is compared with QEMU's by dumping 0xB8000 at the end.

%include "lib/kernel.inc"

CRTC_INDEX equ 0x3D4
CRTC_DATA  equ 0x3D5
SCREEN     equ 0xB8000

section .rodata
dc_text:  db "hello from the debug console", 10, 0
line0:    db "ringside: VGA text mode 3, 80x25", 0
line1:    db "attributes: ", 0
line2:    db "CP437: ", 0xC9, 0xCD, 0xBB, " ", 0x01, " ", 0xB0, 0xB1, 0xB2, " end", 0

section .text
main:
    println `vga-debugcon: port 0xE9 and the text screen`
    mov esi, dc_text
.dc:
    lodsb
    test al, al
    jz .dc_done
    out 0xE9, al
    jmp .dc
.dc_done:
    in al, 0xE9                     ; QEMU's read-back value
    mov bl, al
    shr al, 4
    call dc_hex_digit
    mov al, bl
    call dc_hex_digit
    mov al, 10
    out 0xE9, al

    print `crtc at boot:`
    xor ecx, ecx
.crtc:
    mov al, ' '
    call putc
    mov dx, CRTC_INDEX
    mov al, cl
    out dx, al
    inc dx
    in al, dx
    call put_hex8
    inc ecx
    cmp ecx, 0x19
    jb .crtc
    call newline

    ; clear the screen: spaces, light grey on black
    mov edi, SCREEN
    mov ecx, 80 * 25
    mov ax, 0x0720
    rep stosw
    mov esi, line0
    mov edi, SCREEN
    mov ah, 0x1F                    ; white on blue
    call put_screen
    mov esi, line1
    mov edi, SCREEN + 160
    mov ah, 0x07
    call put_screen
    ; sixteen attribute cells after "attributes: "
    xor ecx, ecx
.attr:
    mov al, '0'
    add al, cl
    cmp al, '9'
    jbe .digit
    add al, 7
.digit:
    mov ah, cl
    shl ah, 4
    or ah, 0x0F
    mov [edi], ax
    add edi, 2
    inc ecx
    cmp ecx, 16
    jb .attr
    mov esi, line2
    mov edi, SCREEN + 24 * 160       ; the last row
    mov ah, 0x0E
    call put_screen
    ; cursor after the last line's text: offset 24 * 80 + 22
    mov ebx, 24 * 80 + 22
    mov dx, CRTC_INDEX
    mov al, 0x0E
    out dx, al
    inc dx
    mov al, bh
    out dx, al
    dec dx
    mov al, 0x0F
    out dx, al
    inc dx
    mov al, bl
    out dx, al
    print `cursor registers after: `
    mov dx, CRTC_INDEX
    mov al, 0x0E
    out dx, al
    inc dx
    in al, dx
    call put_hex8
    mov al, ' '
    call putc
    dec dx
    mov al, 0x0F
    out dx, al
    inc dx
    in al, dx
    call put_hex8
    call newline
    println `done`
    mov al, EXIT_SUCCESS
    ret

; put_screen: ESI = NUL-terminated text, EDI = cell address, AH = attribute; EDI advances.
put_screen:
    lodsb
    test al, al
    jz .end
    mov [edi], ax
    add edi, 2
    jmp put_screen
.end:
    ret

; dc_hex_digit: low nibble of AL as a hex digit on port 0xE9.
dc_hex_digit:
    and eax, 0x0F
    mov al, [hex_digits + eax]
    out 0xE9, al
    ret
