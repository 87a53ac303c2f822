; pit-pic - the 8254 PIT, the two 8259A PICs and the I/O APIC, as a kernel uses them.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/pit-pic.txt. The guest waits for events and prints what it saw;
; QEMU runs it with the option below (read by the differential test and
; qemu-check.sh) because on the host clock a tick raised just before the I/O
; APIC entry is masked can be delivered after it, on a loaded host: with
; -icount shift=0 QEMU's time is the instruction count, as ringside's is.
;
; QEMU options: -icount shift=0
;
;  1. the state the firmware leaves: PIT read-back status (mode and access of
;     each channel), 8259 masks, IRR (except IRQ 0), ISR, ELCR;
;  2. PIT channel 2 through port 0x61: mode 0, OUT low, gate on, a latched
;     count, OUT high at the end of the count, the refresh bit toggling;
;  3. the 8259s initialized (ICW1-ICW4) to vectors 0x20/0x28; IRQ 0 from PIT
;     channel 0 in mode 2: five interrupts with non-specific EOI (ISR seen in
;     the handler), a request held in IRR while masked and delivered on unmask,
;     specific EOI, automatic EOI, poll mode;
;  4. the I/O APIC: ID, version, entry 2 at reset; IRQ 0 on pin 2 edge-
;     triggered (five interrupts, EOI by the local APIC); an edge while the
;     entry is masked is lost; pin 2 level-triggered with the PIT in mode 0 (OUT
;     stays high): remote IRR in the handler, delivered again after the EOI
;     while the line is high.

%include "lib/kernel.inc"
%include "lib/apic.inc"

PIT_CH0   equ 0x40
PIT_CH2   equ 0x42
PIT_CMD   equ 0x43
PORT_B    equ 0x61
PIC1      equ 0x20
PIC2      equ 0xA0
IOAPIC    equ 0xFEC00000
WAIT_LOOPS equ 200000000
SPIN_LOOPS equ 1100000              ; LOOP iterations spent before polling a device: more than
                                    ; one PIT period (1193 ticks) on ringside, so that the poll
                                    ; (which a software monitor traps) usually succeeds at once

section .data
ticks:      dd 0                    ; IRQ 0 handler count
isr_seen:   dd 0xff                 ; ISR read in the handler (first time)
eoi_cmd:    db 0x20                 ; OCW2 the handler sends (0: none)
io_ticks:   dd 0                    ; I/O APIC vector 0x30 count
lvl_ticks:  dd 0                    ; I/O APIC vector 0x31 count
lvl_rirr:   dd 0                    ; entry 2 low word read in the level handler

section .text
main:
    println `pit-pic: the 8254, the 8259s and the I/O APIC`
    set_gate 0x20, irq0_handler, GATE_INT_R0
    mov eax, 0x27
    mov ebx, spurious_handler
    call idt_set_gate
    mov eax, 0x30
    mov ebx, ioapic_handler
    call idt_set_gate
    mov eax, 0x31
    mov ebx, level_handler
    call idt_set_gate
    call show_firmware_state
    call channel2
    call pic_tests
    call ioapic_tests
    println `done`
    mov al, EXIT_SUCCESS
    ret

; ------------------------------------------------------------------ helpers

spin:                               ; SPIN_LOOPS iterations, touching no device
    push ecx
    mov ecx, SPIN_LOOPS
.loop:
    loop .loop
    pop ecx
    ret

print_hex8_line:                    ; AL, then newline
    call put_hex8
    jmp newline

; wait_ticks: ECX = count to reach in [ticks] with STI;HLT (IF left clear).
wait_ticks:
.loop:
    cli
    cmp [ticks], ecx
    jae .done
    sti
    hlt
    jmp .loop
.done:
    cli
    ret

; pit0_mode2: channel 0, mode 2, count 1193 (about 1 ms).
pit0_mode2:
    mov al, 0x34
    out PIT_CMD, al
    mov al, 1193 & 0xff
    out PIT_CH0, al
    mov al, 1193 >> 8
    out PIT_CH0, al
    ret

; ------------------------------------------------------------------ 1.

show_firmware_state:
    println `firmware state:`
    mov al, 0xCE                    ; read-back: status only, channels 0-2
    out PIT_CMD, al
    print `  pit status (out masked): ch0 `
    in al, PIT_CH0
    and al, 0x7f
    call put_hex8
    print ` ch1 `
    in al, 0x41
    and al, 0x7f
    call put_hex8
    print ` ch2 `
    in al, PIT_CH2
    and al, 0x7f
    call print_hex8_line
    print `  8259 imr `
    in al, PIC1 + 1
    call put_hex8
    mov al, ' '
    call putc
    in al, PIC2 + 1
    call put_hex8
    print ` irr (irq 0 masked) `
    mov al, 0x0A
    out PIC1, al
    in al, PIC1
    and al, 0xfe
    call put_hex8
    mov al, ' '
    call putc
    mov al, 0x0A
    out PIC2, al
    in al, PIC2
    call put_hex8
    print ` isr `
    mov al, 0x0B
    out PIC1, al
    in al, PIC1
    call put_hex8
    mov al, ' '
    call putc
    mov al, 0x0B
    out PIC2, al
    in al, PIC2
    call put_hex8
    print ` elcr `
    mov dx, 0x4D0
    in al, dx
    call put_hex8
    mov al, ' '
    call putc
    inc dx
    in al, dx
    call print_hex8_line
    ret

; ------------------------------------------------------------------ 2.

channel2:
    println `pit channel 2 and port 0x61:`
    in al, PORT_B
    and al, 0xFC                    ; gate off, speaker off
    out PORT_B, al
    mov al, 0xB0                    ; channel 2, LSB/MSB, mode 0, binary
    out PIT_CMD, al
    mov al, 0x00
    out PIT_CH2, al
    mov al, 0x04                    ; count 0x400
    out PIT_CH2, al
    print `  out after programming: `
    in al, PORT_B
    shr al, 5
    and al, 1
    call print_hex8_line
    in al, PORT_B
    or al, 1                        ; gate on
    out PORT_B, al
    mov al, 0x80                    ; latch channel 2
    out PIT_CMD, al
    in al, PIT_CH2
    mov ah, al
    in al, PIT_CH2
    xchg al, ah
    print `  latched count at most 0x400: `
    cmp ax, 0x400
    call yes_if_be
    call spin
    mov ecx, WAIT_LOOPS
.poll:
    in al, PORT_B
    test al, 0x20
    jnz .high
    loop .poll
.high:
    print `  out high at the end of the count: `
    in al, PORT_B
    shr al, 5
    and al, 1
    call print_hex8_line
    mov al, 0xE8                    ; read-back: status of channel 2
    out PIT_CMD, al
    print `  channel 2 status: `
    in al, PIT_CH2
    call print_hex8_line
    in al, PORT_B
    mov bl, al
    in al, PORT_B
    xor al, bl
    print `  refresh bit toggles: `
    and al, 0x10
    cmp al, 0x10
    call yes_if_e
    in al, PORT_B
    and al, 0xFC
    out PORT_B, al
    ret

yes_if_e:
    je .yes
    println `no`
    ret
.yes:
    println `yes`
    ret

yes_if_be:
    jbe .yes
    println `no`
    ret
.yes:
    println `yes`
    ret

; ------------------------------------------------------------------ 3.

pic_init:                           ; BL = ICW4 of the master
    mov al, 0x11
    out PIC1, al
    out PIC2, al
    mov al, 0x20
    out PIC1 + 1, al
    mov al, 0x28
    out PIC2 + 1, al
    mov al, 4
    out PIC1 + 1, al
    mov al, 2
    out PIC2 + 1, al
    mov al, bl
    out PIC1 + 1, al
    mov al, 1
    out PIC2 + 1, al
    ret

read_isr1:                          ; AL = master ISR
    mov al, 0x0B
    out PIC1, al
    in al, PIC1
    ret

read_irr1:
    mov al, 0x0A
    out PIC1, al
    in al, PIC1
    ret

pic_tests:
    println `8259s:`
    mov bl, 1
    call pic_init
    print `  imr after initialization: `
    in al, PIC1 + 1
    call print_hex8_line
    mov al, 0xFF
    out PIC1 + 1, al
    out PIC2 + 1, al
    call pit0_mode2
    mov al, 0xFE
    out PIC1 + 1, al
    mov dword [ticks], 0
    mov ecx, 5
    call wait_ticks
    print `  irq 0 with non-specific eoi: `
    mov eax, [ticks]
    call put_dec
    print ` interrupts, isr in the handler `
    mov al, [isr_seen]
    call put_hex8
    print `, isr after eoi `
    call read_isr1
    call print_hex8_line

    ; masked: the request waits in IRR
    mov al, 0xFF
    out PIC1 + 1, al
    call spin
    mov ecx, WAIT_LOOPS
.poll:
    call read_irr1
    test al, 1
    jnz .held
    loop .poll
.held:
    mov ebx, [ticks]
    sti
    mov ecx, 100000
.spin:
    loop .spin
    cli
    print `  request held in irr while masked: `
    call read_irr1
    and al, 1
    cmp al, 1
    call yes_if_e
    print `  no interrupt while masked: `
    cmp ebx, [ticks]
    call yes_if_e
    mov al, 0xFE
    out PIC1 + 1, al
    sti
    nop
    cli
    print `  delivered on unmask: `
    inc ebx
    cmp ebx, [ticks]
    call yes_if_e

    ; specific EOI
    mov byte [eoi_cmd], 0x60
    mov dword [ticks], 0
    mov dword [isr_seen], 0xff
    mov ecx, 3
    call wait_ticks
    print `  specific eoi: `
    mov eax, [ticks]
    call put_dec
    print ` interrupts, isr after `
    call read_isr1
    call print_hex8_line

    ; automatic EOI
    mov al, 0xFF
    out PIC1 + 1, al
    mov bl, 3                       ; ICW4: 8086 mode, automatic EOI
    call pic_init
    mov al, 0xFE
    out PIC1 + 1, al
    mov byte [eoi_cmd], 0
    mov dword [ticks], 0
    mov dword [isr_seen], 0xff
    mov ecx, 3
    call wait_ticks
    print `  automatic eoi: `
    mov eax, [ticks]
    call put_dec
    print ` interrupts, isr in the handler `
    mov al, [isr_seen]
    call print_hex8_line
    mov bl, 1
    call pic_init
    mov al, 0xFE
    out PIC1 + 1, al

    ; poll mode (IF = 0)
    call spin
    mov ecx, WAIT_LOOPS
.wait_req:
    call read_irr1
    test al, 1
    jnz .req
    loop .wait_req
.req:
    mov al, 0x0C                    ; OCW3: poll
    out PIC1, al
    in al, PIC1
    print `  poll: `
    call put_hex8
    print ` isr after `
    call read_isr1
    call put_hex8
    mov al, 0x20
    out PIC1, al
    print ` after eoi `
    call read_isr1
    call print_hex8_line
    mov al, 0xFF
    out PIC1 + 1, al
    out PIC2 + 1, al
    ret

irq0_handler:
    push eax
    inc dword [ticks]
    cmp dword [isr_seen], 0xff
    jne .seen
    call read_isr1
    movzx eax, al
    mov [isr_seen], eax
.seen:
    mov al, [eoi_cmd]
    test al, al
    jz .out
    out PIC1, al
.out:
    pop eax
    iret

spurious_handler:
    iret

; ------------------------------------------------------------------ 4.

ioapic_read:                        ; EAX = index -> EAX = value
    mov [IOAPIC], eax
    mov eax, [IOAPIC + 0x10]
    ret

ioapic_write:                       ; EAX = index, EDX = value
    mov [IOAPIC], eax
    mov [IOAPIC + 0x10], edx
    ret

ioapic_tests:
    println `i/o apic:`
    call apic_enable
    print `  id `
    xor eax, eax
    call ioapic_read
    call put_hex32
    print ` version `
    mov eax, 1
    call ioapic_read
    call put_hex32
    print ` entry 2 `
    mov eax, 0x14
    call ioapic_read
    call put_hex32
    mov al, ' '
    call putc
    mov eax, 0x15
    call ioapic_read
    call put_hex32
    call newline

    call pit0_mode2
    mov eax, 0x15
    xor edx, edx                    ; destination APIC 0
    call ioapic_write
    mov eax, 0x14
    mov edx, 0x30                   ; vector 0x30, fixed, physical, edge, unmasked
    call ioapic_write
.wait:
    cli
    cmp dword [io_ticks], 5
    jae .five
    sti
    hlt
    jmp .wait
.five:
    cli
    print `  pin 2 edge-triggered: `
    mov eax, [io_ticks]
    call put_dec
    println ` interrupts`

    mov eax, 0x14
    mov edx, 0x10030                ; masked
    call ioapic_write
    mov ebx, [io_ticks]
    sti
    mov ecx, 3000000                ; a few PIT periods
.spin:
    loop .spin
    cli
    print `  none while masked: `
    cmp ebx, [io_ticks]
    call yes_if_e
    mov eax, 0x14
    mov edx, 0x30
    call ioapic_write
    sti
    nop
    cli
    print `  the edge that came while masked is lost: `
    cmp ebx, [io_ticks]
    call yes_if_e

    ; level-triggered: PIT channel 0 in mode 0 keeps OUT high after the count
    mov eax, 0x14
    mov edx, 0x10031                ; masked while reprogramming
    call ioapic_write
    mov al, 0x30                    ; channel 0, LSB/MSB, mode 0: OUT low
    out PIT_CMD, al
    mov al, 0
    out PIT_CH0, al
    mov al, 0x10
    out PIT_CH0, al
    mov eax, 0x14
    mov edx, 0x8031                 ; vector 0x31, level, unmasked
    call ioapic_write
.wait_level:
    cli
    cmp dword [lvl_ticks], 2
    jae .level_done
    sti
    hlt
    jmp .wait_level
.level_done:
    print `  pin 2 level-triggered, line held high: `
    mov eax, [lvl_ticks]
    call put_dec
    print ` interrupts (again after the eoi), remote irr in the handler: `
    mov eax, [lvl_rirr]
    shr eax, 14
    and eax, 1
    call put_dec
    call newline
    mov al, 0x30                    ; OUT low again
    out PIT_CMD, al
    mov eax, 0x14
    mov edx, 0x10000
    call ioapic_write
    ret

ioapic_handler:
    inc dword [io_ticks]
    call apic_eoi
    iret

level_handler:
    push eax
    push edx
    inc dword [lvl_ticks]
    mov eax, 0x14
    call ioapic_read
    mov [lvl_rirr], eax
    cmp dword [lvl_ticks], 2
    jb .eoi
    mov eax, 0x14
    mov edx, 0x18031                ; mask after the second one
    call ioapic_write
.eoi:
    call apic_eoi
    pop edx
    pop eax
    iret
