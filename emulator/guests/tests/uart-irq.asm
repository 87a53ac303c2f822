; uart-irq - serial input taken by interrupt, as xv6 takes it: the receive
; interrupt is enabled, one byte already there is read by polling, and only
; then is IRQ 4 unmasked at the 8259; the CPU halts until each byte's
; interrupt, whose handler reads what LSR says is there.
;
; Run with input (`--input` a file holding "ring\n"): COM1 raises IRQ 4 for
; each byte as it arrives on the line, one character time after the guest
; took the last, so the handler sees one byte per interrupt and the CPU
; halted in between wakes for each. It prints the first byte, then each
; byte with the IIR its interrupt found, and exits at the newline.

%include "lib/kernel.inc"
%include "lib/pic.inc"

UART_RBR  equ 0
UART_IIR  equ 2
LSR_DR    equ 0x01

section .data
interrupts: dd 0                    ; IRQ 4 handler runs
done:       dd 0                    ; the newline came

section .text
main:
    println `uart-irq: serial input by interrupt`
    set_gate PIC_VECTOR_MASTER + 4, irq4_handler, GATE_INT_R0
    call pic_remap
    mov al, 0xFF                    ; every IRQ masked for now
    out 0x21, al
    out 0xA1, al
    mov dx, COM1 + UART_FCR
    xor al, al                      ; FIFOs off, as xv6
    out dx, al
    mov dx, COM1 + UART_IER
    mov al, 0x01                    ; received-data interrupt on
    out dx, al
    mov dx, COM1 + UART_IIR         ; acknowledge what is pending
    in al, dx
    mov dx, COM1 + UART_LSR
    in al, dx
    test al, LSR_DR
    jz .none
    mov dx, COM1 + UART_RBR         ; the first byte, by polling
    in al, dx
    print `polled: `
    call putc
    call newline
.none:
    mov al, 0xEF                    ; IRQ 4 unmasked, after the byte was taken
    out 0x21, al
.wait:
    cli
    cmp dword [done], 0
    jne .finish
    sti
    hlt
    jmp .wait
.finish:
    print `interrupts: `
    mov eax, [interrupts]
    call put_dec
    call newline
    mov al, EXIT_SUCCESS
    ret

irq4_handler:
    pushad
    inc dword [interrupts]
    mov dx, COM1 + UART_IIR
    in al, dx
    mov bl, al
.drain:
    mov dx, COM1 + UART_LSR
    in al, dx
    test al, LSR_DR
    jz .eoi
    mov dx, COM1 + UART_RBR
    in al, dx
    mov bh, al
    print `irq 4, iir `
    movzx eax, bl
    call put_hex8
    print `: `
    mov al, bh
    cmp al, 10
    je .newline
    call putc
    call newline
    jmp .drain
.newline:
    println `newline`
    mov dword [done], 1
    jmp .drain
.eoi:
    mov al, 0x20
    out 0x20, al
    popad
    iret
