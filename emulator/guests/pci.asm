; pci - PCI configuration space (mechanism #1, ports 0xCF8/0xCFC).
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/pci.txt. Prints the whole 256-byte configuration space of the
; i440FX host bridge (00:00.0) and the PIIX3 ISA bridge (00:01.0), a word
; read at 0xCFE, a write to a routing register (PIRQA) and to a read-only one
; (vendor ID), an absent device on another bus and at device 31, and a read
; with the enable bit clear. (QEMU also has 00:01.1, 00:01.3 and 00:02.0,
; which ringside does not model; the guest does not look at them.)

%include "lib/kernel.inc"

section .text
; cfg_addr: EAX = address -> latched
cfg_addr:
    push edx
    mov dx, 0xCF8
    out dx, eax
    pop edx
    ret

; cfg_read: EAX = address -> EAX = dword
cfg_read:
    push edx
    call cfg_addr
    mov dx, 0xCFC
    in eax, dx
    pop edx
    ret

main:
    println `pci: configuration space`
    mov eax, 0x80000000
    call cfg_addr
    print `0xcf8 reads back `
    mov dx, 0xCF8
    in eax, dx
    call put_hex32
    call newline
    mov ebx, 0x80000000
    println `00:00.0`
    call dump_function
    mov ebx, 0x80000800
    println `00:01.0`
    call dump_function

    print `word at 0xcfe of 00:01.0: `
    mov eax, 0x80000800
    call cfg_addr
    mov dx, 0xCFE
    in ax, dx
    movzx eax, ax
    call put_hex16
    call newline

    print `pirqa written 0x0b: `
    mov eax, 0x80000860
    call cfg_addr
    mov dx, 0xCFC
    mov al, 0x0B
    out dx, al
    mov eax, 0x80000860
    call cfg_read
    call put_hex32
    mov eax, 0x80000860
    call cfg_addr
    mov dx, 0xCFC
    mov al, 0x0A
    out dx, al
    print `, vendor id after a write: `
    mov eax, 0x80000800
    call cfg_addr
    mov dx, 0xCFC
    mov ax, 0x1234
    out dx, ax
    mov eax, 0x80000800
    call cfg_read
    call put_hex32
    call newline

    print `bus 1 device 0: `
    mov eax, 0x80010000
    call cfg_read
    call put_hex32
    print `, 00:1f.0: `
    mov eax, 0x8000F800
    call cfg_read
    call put_hex32
    print `, enable bit clear: `
    mov eax, 0x00000000
    call cfg_read
    call put_hex32
    call newline
    println `done`
    mov al, EXIT_SUCCESS
    ret

; dump_function: EBX = address of register 0; 64 dwords, 8 a line.
dump_function:
    xor ecx, ecx
.dword:
    test cl, 0x1F
    jnz .same
    print ` `
.same:
    mov al, ' '
    call putc
    mov eax, ebx
    or eax, ecx
    call cfg_read
    call put_hex32
    add ecx, 4
    test cl, 0x1F
    jnz .next
    call newline
.next:
    cmp ecx, 256
    jb .dword
    ret
