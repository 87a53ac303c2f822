; rtc - the CMOS real-time clock at 0x70/0x71.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/rtc.txt. The date itself differs (QEMU: the host's clock; ringside:
; 2024-01-01 00:00:00 plus the instruction count in nanoseconds), so the guest
; prints only what does not depend on it:
;   1. status A (without UIP), B, D, the CMOS RAM 0x0E-0x7F, port 0x70 read;
;   2. the date fields are valid BCD in range; the NMI-mask bit of port 0x70
;      does not change the index;
;   3. the periodic interrupt at 2 Hz on IRQ 8 through the 8259s (status C in
;      the handler), the seconds advancing across three of them;
;   4. binary mode. (Setting the time under SET is not compared: QEMU 7.2
;      does not read back what was written; tests/emulator/devices pins it.)

%include "lib/kernel.inc"
%include "lib/pic.inc"

section .data
rtc_ticks:  dd 0
c_seen:     dd 0xff

section .text
; rtc_read: AL = index -> AL = value
rtc_read:
    out 0x70, al
    in al, 0x71
    ret

; rtc_write: AL = index, AH = value
rtc_write:
    out 0x70, al
    mov al, ah
    out 0x71, al
    ret

main:
    println `rtc: the CMOS clock`
    print `status a (no uip) `
    mov al, 0x0A
    call rtc_read
    and al, 0x7f
    call put_hex8
    print ` b `
    mov al, 0x0B
    call rtc_read
    call put_hex8
    print ` d `
    mov al, 0x0D
    call rtc_read
    call put_hex8
    print ` port 0x70 reads `
    in al, 0x70
    call put_hex8
    call newline
    println `cmos 0x0e-0x7f:`
    mov ecx, 0x0E
.cmos:
    mov al, ' '
    call putc
    mov al, cl
    call rtc_read
    call put_hex8
    inc ecx
    test cl, 15
    jnz .same_line
    call newline
.same_line:
    cmp ecx, 0x80
    jb .cmos

    ; 2. the date fields are valid BCD and in range
    xor ebx, ebx                    ; number of bad fields
    mov al, 0x00
    mov dl, 0x59
    call check_field
    mov al, 0x02
    mov dl, 0x59
    call check_field
    mov al, 0x04
    mov dl, 0x23
    call check_field
    mov al, 0x06
    mov dl, 0x07
    call check_field
    mov al, 0x07
    mov dl, 0x31
    call check_field
    mov al, 0x08
    mov dl, 0x12
    call check_field
    mov al, 0x09
    mov dl, 0x99
    call check_field
    print `date fields valid bcd in range: `
    mov eax, ebx
    call yes_if_zero
    print `index 0x0d with the nmi-mask bit reads `
    mov al, 0x8D
    call rtc_read
    call put_hex8
    call newline

    ; 3. periodic interrupt at 2 Hz
    set_gate 0x28, irq8_handler, GATE_INT_R0
    call pic_remap
    mov al, 0xFB                    ; master: only the cascade
    out 0x21, al
    mov al, 0xFE                    ; slave: only IRQ 8
    out 0xA1, al
    mov al, 0x0C
    call rtc_read                   ; clear pending flags
    mov al, 0x00
    call rtc_read
    mov bl, al                      ; seconds before
    mov ax, 0x2F0A                  ; status A: divider 010, rate 15 (2 Hz)
    call rtc_write
    mov ax, 0x420B                  ; status B: PIE, 24-hour, BCD
    call rtc_write
.wait:
    cli
    cmp dword [rtc_ticks], 3
    jae .three
    sti
    hlt
    jmp .wait
.three:
    mov ax, 0x020B                  ; PIE off
    call rtc_write
    print `periodic irq 8: `
    mov eax, [rtc_ticks]
    call put_dec
    print ` interrupts, status c in the handler `
    mov eax, [c_seen]
    and al, 0xC0
    call put_hex8
    call newline
    print `seconds advanced across them: `
    mov al, 0x00
    call rtc_read
    cmp al, bl
    call yes_if_nonzero_diff
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al

    ; 4. binary mode, and a time written under SET
    mov ax, 0x060B                  ; binary, 24-hour
    call rtc_write
    print `binary seconds below 60: `
    mov al, 0x00
    call rtc_read
    cmp al, 60
    setae al
    movzx eax, al
    call yes_if_zero
    mov ax, 0x020B                  ; back to BCD
    call rtc_write
    println `done`
    mov al, EXIT_SUCCESS
    ret

; check_field: AL = index, DL = highest valid BCD value; EBX counts bad ones.
check_field:
    call rtc_read
    mov ah, al
    and ah, 0x0F
    cmp ah, 9
    ja .bad
    cmp al, dl
    ja .bad
    ret
.bad:
    inc ebx
    ret

yes_if_zero:
    test eax, eax
    jz .yes
    println `no`
    ret
.yes:
    println `yes`
    ret

yes_if_nonzero_diff:
    jne .yes
    println `no`
    ret
.yes:
    println `yes`
    ret

irq8_handler:
    push eax
    inc dword [rtc_ticks]
    mov al, 0x0C
    call rtc_read
    cmp dword [c_seen], 0xff
    jne .eoi
    movzx eax, al
    mov [c_seen], eax
.eoi:
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop eax
    iret
