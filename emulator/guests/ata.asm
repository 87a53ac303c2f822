; ata - the primary ATA (IDE) channel: IDENTIFY, PIO reads and writes, errors, IRQ 14.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/ata.txt. The guest runs with two disks whose contents the tests
; generate (tests/helpers/guest-disks.ts: sector n of disk k starts with the
; text "diskK sec NNNNNN", then a pattern), given to QEMU as
; -drive file=COPY,format=raw,index=0 and index=1, and to ringside as --disk.
; The slave's size is not a multiple of 512: its last sector reads as zeros
; past the end of the file, as QEMU's raw images do.
;
; Disks: 4194304 1049000
;
;  1. master: IDENTIFY (all 256 words), READ SECTORS of two sectors (status
;     and task file after), WRITE SECTORS of two and their read-back;
;  2. SET MULTIPLE MODE 4, READ MULTIPLE of 10 sectors (blocks 4, 4, 2),
;     WRITE MULTIPLE of 5 (blocks 4, 1) and their read-back; word 59 of a
;     second IDENTIFY (built once, at the firmware's IDENTIFY);
;  3. errors: SET MULTIPLE MODE 3, READ MULTIPLE with multiple mode off, an
;     unknown command, reads and a write past the end of the disk;
;  4. a CHS read, a 48-bit READ SECTORS EXT (the HOB registers), CHECK POWER
;     MODE, READ NATIVE MAX ADDRESS, a software reset (SRST) and the
;     signature it leaves;
;  5. slave: IDENTIFY, its first and (partial) last sectors, a write and
;     read-back; the master's written sectors seen again;
;  6. IRQ 14 through the 8259s: one interrupt per data block of a read and
;     of a write; none with nIEN set.

%include "lib/kernel.inc"

ATA_DATA  equ 0x1F0
ATA_ERR   equ 0x1F1
ATA_COUNT equ 0x1F2
ATA_LBA0  equ 0x1F3
ATA_LBA1  equ 0x1F4
ATA_LBA2  equ 0x1F5
ATA_DEV   equ 0x1F6
ATA_CMD   equ 0x1F7
ATA_CTRL  equ 0x3F6
MASTER    equ 0xE0                  ; device register: LBA, master
SLAVE     equ 0xF0                  ; LBA, slave
MASTER_SECTORS equ 8192
SLAVE_SECTORS  equ 2049

section .data
irq_count:  dd 0
device:     db MASTER               ; device register base of the drive in use

section .bss
alignb 4
buffer:     resb 16 * 512

section .text
main:
    println `ata: the primary channel`
    set_gate 0x76, irq14_handler, GATE_INT_R0 ; IRQ 14 at the firmware's slave base 0x70

    println `-- master`
    mov byte [device], MASTER
    call select
    call show_status
    call newline
    call identify_all

    println `read sectors 0-1`
    mov eax, 0
    mov ecx, 2
    mov bl, 0x20
    call command
    mov ecx, 2
    call read_blocks_1
    call show_taskfile

    println `write sectors 5-6`
    mov eax, 5
    mov ecx, 2
    mov bl, 0x30
    call command
    mov ecx, 2
    mov edx, 0x11
    call write_blocks_1
    call show_taskfile
    println `read back 4-7`
    mov eax, 4
    mov ecx, 4
    mov bl, 0x20
    call command
    mov ecx, 4
    call read_blocks_1

    println `set multiple 4`
    mov eax, 0
    mov ecx, 4
    mov bl, 0xC6
    call command
    call wait_idle
    call show_result
    println `read multiple 8-17`
    mov eax, 8
    mov ecx, 10
    mov bl, 0xC4
    call command
    mov ecx, 10
    mov ebx, 4
    call read_blocks
    println `write multiple 20-24`
    mov eax, 20
    mov ecx, 5
    mov bl, 0xC5
    call command
    mov ecx, 5
    mov ebx, 4
    mov edx, 0x22
    call write_blocks
    println `read back 20-24`
    mov eax, 20
    mov ecx, 5
    mov bl, 0x20
    call command
    mov ecx, 5
    call read_blocks_1
    print `identify again: word 47 `
    mov al, 0xEC
    call send
    call wait_idle
    call read_sector_quiet
    movzx eax, word [buffer + 47 * 2]
    call put_hex16
    print ` word 59 `
    movzx eax, word [buffer + 59 * 2]
    call put_hex16
    call newline

    println `-- errors`
    print `set multiple 3: `
    mov eax, 0
    mov ecx, 3
    mov bl, 0xC6
    call command
    call wait_idle
    call show_result
    print `set multiple 0: `
    mov eax, 0
    mov ecx, 0
    mov bl, 0xC6
    call command
    call wait_idle
    call show_result
    print `read multiple with multiple mode off: `
    mov eax, 0
    mov ecx, 1
    mov bl, 0xC4
    call command
    call wait_idle
    call show_result
    mov eax, 0
    mov ecx, 16
    mov bl, 0xC6
    call command
    call wait_idle
    print `unknown command 0x50: `
    mov al, 0x50
    call send
    call wait_idle
    call show_result
    print `read at the capacity: `
    mov eax, MASTER_SECTORS
    mov ecx, 1
    mov bl, 0x20
    call command
    call wait_idle
    call show_result
    println `read of 2 from the last sector:`
    mov eax, MASTER_SECTORS - 1
    mov ecx, 2
    mov bl, 0x20
    call command
    mov ecx, 1
    call read_blocks_1
    print `  then `
    call show_result
    print `write at the capacity: `
    mov eax, MASTER_SECTORS
    mov ecx, 1
    mov bl, 0x30
    call command
    call wait_idle
    call show_status
    print ` after the data `
    mov edx, 0x33
    call fill_buffer
    call write_sector_quiet
    call wait_idle
    call show_result

    println `-- addressing`
    print `chs 0/1/1: `
    mov dx, ATA_COUNT
    mov al, 1
    out dx, al
    mov dx, ATA_LBA0                ; sector 1
    out dx, al
    xor al, al
    mov dx, ATA_LBA1                ; cylinder 0
    out dx, al
    mov dx, ATA_LBA2
    out dx, al
    mov dx, ATA_DEV
    mov al, 0xA1                    ; CHS, master, head 1
    out dx, al
    mov al, 0x20
    call send
    mov ecx, 1
    call read_blocks_1
    mov byte [device], MASTER

    println `read sectors ext at 100:`
    mov dx, ATA_COUNT
    xor al, al
    out dx, al                      ; count 15-8
    mov al, 1
    out dx, al                      ; count 7-0
    xor al, al
    mov dx, ATA_LBA0
    out dx, al                      ; LBA 31-24
    mov dx, ATA_LBA1
    out dx, al                      ; LBA 39-32
    mov dx, ATA_LBA2
    out dx, al                      ; LBA 47-40
    mov dx, ATA_LBA0
    mov al, 100
    out dx, al                      ; LBA 7-0
    xor al, al
    mov dx, ATA_LBA1
    out dx, al
    mov dx, ATA_LBA2
    out dx, al
    mov dx, ATA_DEV
    mov al, 0x40
    out dx, al
    mov al, 0x24
    call send
    mov ecx, 1
    call read_blocks_1
    print `  registers `
    call show_regs
    mov dx, ATA_CTRL
    mov al, 0x88                    ; HOB
    out dx, al
    print ` with hob `
    call show_regs
    mov dx, ATA_CTRL
    mov al, 0x08
    out dx, al
    call newline

    print `check power mode: `
    mov eax, 0
    mov ecx, 0
    mov bl, 0xE5
    call command
    call wait_idle
    call show_status
    print ` count `
    mov dx, ATA_COUNT
    in al, dx
    call put_hex8
    call newline
    print `read native max: `
    mov eax, 0
    mov ecx, 0
    mov bl, 0xF8
    call command
    call wait_idle
    call show_status
    print ` `
    call show_regs
    call newline

    print `software reset: `
    mov dx, ATA_CTRL
    mov al, 0x0C                    ; SRST
    out dx, al
    mov ecx, 100
.srst_hold:
    in al, dx
    loop .srst_hold
    mov al, 0x08
    out dx, al
    call wait_idle
    call show_status
    print ` error `
    mov dx, ATA_ERR
    in al, dx
    call put_hex8
    print ` `
    call show_regs
    call newline

    println `-- slave`
    mov byte [device], SLAVE
    call select
    call identify_all
    println `read sectors 0 and 2048:`
    mov eax, 0
    mov ecx, 1
    mov bl, 0x20
    call command
    mov ecx, 1
    call read_blocks_1
    mov eax, SLAVE_SECTORS - 1
    mov ecx, 1
    mov bl, 0x20
    call command
    mov ecx, 1
    call read_blocks_1
    print `  its last bytes `
    mov eax, [buffer + 0x1A4]
    call put_hex32
    print ` `
    mov eax, [buffer + 0x1A8]
    call put_hex32
    call newline
    println `write sector 1, read it back`
    mov eax, 1
    mov ecx, 1
    mov bl, 0x30
    call command
    mov ecx, 1
    mov edx, 0x44
    call write_blocks_1
    mov eax, 1
    mov ecx, 1
    mov bl, 0x20
    call command
    mov ecx, 1
    call read_blocks_1
    println `-- master again: sectors 5-6`
    mov byte [device], MASTER
    call select
    mov eax, 5
    mov ecx, 2
    mov bl, 0x20
    call command
    mov ecx, 2
    call read_blocks_1

    call irq_tests
    println `done`
    mov al, EXIT_SUCCESS
    ret

; ------------------------------------------------------------------ IRQ 14

irq14_handler:
    push eax
    push edx
    mov dx, ATA_CMD                 ; reading the status acknowledges the interrupt
    in al, dx
    inc dword [irq_count]
    mov al, 0x20
    out 0xA0, al
    out 0x20, al
    pop edx
    pop eax
    iret

; wait_irqs: ECX = count to reach in [irq_count], polled with IF set, bounded
; (QEMU completes a sector's transfer well within the bound).
wait_irqs:
    push edx
    mov edx, 2000000
    jmp wait_irqs_for

; wait_no_irq: ECX = a count [irq_count] must not reach: a shorter bounded wait
; (it runs out whenever the guest is right).
wait_no_irq:
    push edx
    mov edx, 100000
wait_irqs_for:
    sti
.loop:
    cmp [irq_count], ecx
    jae .done
    dec edx
    jnz .loop
.done:
    cli
    pop edx
    ret

irq_tests:
    println `-- irq 14`
    mov al, 0xFB                    ; master: only the cascade
    out 0x21, al
    mov al, 0xBF                    ; slave: only IRQ 14
    out 0xA1, al
    ; The last commands left IRQ 14 raised while it was masked: the 8259 holds that
    ; request. Take it (and lower the line) before counting.
    mov dx, ATA_CMD
    in al, dx
    mov ecx, 1000
    sti
.drain:
    loop .drain
    cli
    mov dword [irq_count], 0
    print `read of 3 sectors: `
    mov eax, 30
    mov ecx, 3
    mov bl, 0x20
    call command
    mov ecx, 1
.read:
    call wait_irqs
    call wait_idle
    push ecx
    mov edi, buffer
    mov ecx, 256
    mov dx, ATA_DATA
    rep insw
    pop ecx
    inc ecx
    cmp ecx, 3
    jbe .read
    mov ecx, 4                      ; no interrupt after the last block
    call wait_no_irq
    mov eax, [irq_count]
    call put_dec
    println ` interrupts`
    mov dword [irq_count], 0
    print `write of 2 sectors: `
    mov eax, 40
    mov ecx, 2
    mov bl, 0x30
    call command
    call wait_idle                  ; DRQ for the first block, without an interrupt
    mov edx, 0x55
    call fill_buffer
    call write_sector_quiet
    mov ecx, 1
    call wait_irqs
    call write_sector_quiet
    mov ecx, 2
    call wait_irqs
    mov ecx, 3
    call wait_no_irq
    mov eax, [irq_count]
    call put_dec
    println ` interrupts`
    mov dword [irq_count], 0
    print `read of 2 sectors with nIEN: `
    mov dx, ATA_CTRL
    mov al, 0x0A
    out dx, al
    mov eax, 30
    mov ecx, 2
    mov bl, 0x20
    call command
    mov ecx, 2
.quiet:
    call wait_idle
    call read_sector_quiet
    loop .quiet
    mov ecx, 1
    call wait_no_irq
    mov eax, [irq_count]
    call put_dec
    println ` interrupts`
    mov dx, ATA_CTRL
    mov al, 0x08
    out dx, al
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    ret

; ------------------------------------------------------------------ helpers

; select: the drive in [device], then the status settles.
select:
    push eax
    push edx
    mov dx, ATA_DEV
    mov al, [device]
    out dx, al
    mov dx, ATA_CTRL
    in al, dx
    in al, dx
    in al, dx
    in al, dx
    call wait_idle
    pop edx
    pop eax
    ret

; wait_idle: until BSY clears (bounded); the alternate status does not touch IRQ 14.
wait_idle:
    push eax
    push ecx
    push edx
    mov dx, ATA_CTRL
    mov ecx, 10000000
.loop:
    in al, dx
    test al, 0x80
    jz .done
    loop .loop
    println `(timeout: BSY stays set)`
.done:
    pop edx
    pop ecx
    pop eax
    ret

; command: EAX = LBA (28 bits), ECX = sector count, BL = command, on the drive in [device].
command:
    push eax
    push edx
    push eax
    mov dx, ATA_COUNT
    mov al, cl
    out dx, al
    pop eax
    mov dx, ATA_LBA0
    out dx, al
    shr eax, 8
    mov dx, ATA_LBA1
    out dx, al
    shr eax, 8
    mov dx, ATA_LBA2
    out dx, al
    shr eax, 8
    and al, 0x0F
    or al, [device]
    mov dx, ATA_DEV
    out dx, al
    mov al, bl
    call send
    pop edx
    pop eax
    ret

; send: AL = command.
send:
    push edx
    mov dx, ATA_CMD
    out dx, al
    pop edx
    ret

; show_status: prints the alternate status.
show_status:
    push eax
    push edx
    print `status `
    mov dx, ATA_CTRL
    in al, dx
    call put_hex8
    pop edx
    pop eax
    ret

; show_result: status, and the error register when ERR is set; newline.
show_result:
    push eax
    push edx
    call show_status
    mov dx, ATA_CTRL
    in al, dx
    test al, 1
    jz .ok
    print ` error `
    mov dx, ATA_ERR
    in al, dx
    call put_hex8
.ok:
    call newline
    pop edx
    pop eax
    ret

; show_regs: sector count, LBA 7-0, 15-8, 23-16, device register.
show_regs:
    push eax
    push edx
    push ecx
    mov dx, ATA_COUNT
    mov ecx, 5
.reg:
    in al, dx
    call put_hex8
    mov al, ' '
    call putc
    inc dx
    loop .reg
    pop ecx
    pop edx
    pop eax
    ret

show_taskfile:
    print `  after: `
    call show_status
    print ` regs `
    call show_regs
    call newline
    ret

; put_word: AX as 4 hex digits, no prefix.
put_word:
    push eax
    push ebx
    push ecx
    mov ebx, eax
    mov ecx, 4
.digit:
    rol bx, 4
    mov eax, ebx
    and eax, 0xF
    mov al, [hex_digits + eax]
    call putc
    loop .digit
    pop ecx
    pop ebx
    pop eax
    ret

; identify_all: IDENTIFY DEVICE on the drive in [device]; prints the status and the 256 words.
identify_all:
    push eax
    push ecx
    push esi
    print `identify: `
    mov al, 0xEC
    call send
    call wait_idle
    call show_status
    call read_sector_quiet
    print ` after the data `
    call show_result
    xor ecx, ecx
.line:
    mov eax, ecx
    call put_word
    mov al, ':'
    call putc
.word:
    mov al, ' '
    call putc
    movzx eax, word [buffer + ecx * 2]
    call put_word
    inc ecx
    test ecx, 7
    jnz .word
    call newline
    cmp ecx, 256
    jb .line
    pop esi
    pop ecx
    pop eax
    ret

; read_sector_quiet: 256 words from the data port into buffer.
read_sector_quiet:
    push ecx
    push edx
    push edi
    mov edi, buffer
    mov ecx, 256
    mov dx, ATA_DATA
    rep insw
    pop edi
    pop edx
    pop ecx
    ret

; write_sector_quiet: 256 words from buffer to the data port.
write_sector_quiet:
    push ecx
    push edx
    push esi
    mov esi, buffer
    mov ecx, 256
    mov dx, ATA_DATA
    rep outsw
    pop esi
    pop edx
    pop ecx
    ret

; show_sector: ESI = 512 bytes: its first 16 bytes as text and the sum of its dwords.
show_sector:
    push eax
    push ecx
    push esi
    print `  "`
    mov ecx, 16
.text:
    lodsb
    cmp al, 0x20
    jb .dot
    cmp al, 0x7E
    jbe .put
.dot:
    mov al, '.'
.put:
    call putc
    loop .text
    print `" sum `
    pop esi
    push esi
    xor eax, eax
    mov ecx, 128
.sum:
    add eax, [esi]
    add esi, 4
    loop .sum
    call put_hex32
    pop esi
    pop ecx
    pop eax
    ret

; read_blocks: ECX = sectors, EBX = sectors per block. For each block: wait,
; the status, the data, then each sector shown.
read_blocks:
    push eax
    push ecx
    push edx
    push esi
    push edi
.block:
    call wait_idle
    print `  block: `
    call show_status
    call newline
    mov eax, ebx
    cmp eax, ecx
    jbe .n
    mov eax, ecx
.n:
    sub ecx, eax
    push ecx
    mov ecx, eax
    shl ecx, 8                      ; words
    mov edi, buffer
    mov dx, ATA_DATA
    rep insw
    mov esi, buffer
.show:
    call show_sector
    call newline
    add esi, 512
    cmp esi, edi
    jb .show
    pop ecx
    test ecx, ecx
    jnz .block
    call wait_idle
    pop edi
    pop esi
    pop edx
    pop ecx
    pop eax
    ret

read_blocks_1:
    push ebx
    mov ebx, 1
    call read_blocks
    pop ebx
    ret

; fill_buffer: EDX = tag: 16 sectors of "written NN      " and a pattern.
fill_buffer:
    push eax
    push ecx
    push edi
    mov edi, buffer
    xor ecx, ecx
.byte:
    mov eax, ecx
    imul eax, eax, 5
    add eax, edx
    mov [edi + ecx], al
    inc ecx
    cmp ecx, 16 * 512
    jb .byte
    xor ecx, ecx
.sector:
    mov dword [edi], 'writ'
    mov dword [edi + 4], 'ten '
    mov eax, edx
    shr al, 4
    add al, 'a'
    mov [edi + 8], al
    mov eax, edx
    and al, 0xF
    add al, 'a'
    mov [edi + 9], al
    mov byte [edi + 10], ' '
    mov eax, ecx
    add al, '0'
    mov [edi + 11], al
    mov dword [edi + 12], '    '
    add edi, 512
    inc ecx
    cmp ecx, 16
    jb .sector
    pop edi
    pop ecx
    pop eax
    ret

; write_blocks: ECX = sectors, EBX = sectors per block, EDX = tag of the data.
write_blocks:
    push eax
    push ecx
    push edx
    push esi
    call fill_buffer
    mov esi, buffer
.block:
    call wait_idle
    print `  block: `
    call show_status
    call newline
    mov eax, ebx
    cmp eax, ecx
    jbe .n
    mov eax, ecx
.n:
    sub ecx, eax
    push ecx
    mov ecx, eax
    shl ecx, 8
    mov dx, ATA_DATA
    rep outsw
    pop ecx
    test ecx, ecx
    jnz .block
    call wait_idle
    pop esi
    pop edx
    pop ecx
    pop eax
    ret

write_blocks_1:
    push ebx
    mov ebx, 1
    call write_blocks
    pop ebx
    ret
