; boot-state - the machine as a Multiboot kernel finds it at its first instruction.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/boot-state.txt. (QEMU runs without a network card, -nic none, like
; every guest: ringside has none.)
;
; The ENTRY_HOOK below runs before anything else in _start and saves every
; register the option ROM left, the flags, CR0, the selectors and the
; descriptor-table registers. main then prints:
;   1. the saved registers, the GDT they point to, the local APIC's SVR/LINT0/LINT1;
;   2. the Multiboot information (not the strings: QEMU passes the file name as
;      the command line) and the memory map;
;   3. the BIOS data area (the timer tick count and midnight flag at 0x46C-0x470
;      depend on the host clock on QEMU and are shown as 0) and the EBDA's size;
;   4. the MP floating pointer (found by the specification's search), the MP
;      configuration table (the processor entry's CPUID signature and feature
;      words are checked against CPUID and shown as 0, the checksum is checked
;      and shown as 0, because the CPUs' identifications differ);
;   5. the ACPI RSDP (found by the specification's search), the FADT, MADT and
;      FACS that the RSDT lists (their bytes), the DSDT's header identifiers.
;      Other RSDT entries are skipped (QEMU also lists HPET and WAET).

%macro ENTRY_HOOK 0
    mov [entry_regs + 0], eax
    mov [entry_regs + 4], ebx
    mov [entry_regs + 8], ecx
    mov [entry_regs + 12], edx
    mov [entry_regs + 16], esi
    mov [entry_regs + 20], edi
    mov [entry_regs + 24], ebp
    mov [entry_regs + 28], esp
    pushfd
    pop dword [entry_regs + 32]
    mov eax, cr0
    mov [entry_regs + 36], eax
    mov eax, cr3
    mov [entry_regs + 40], eax
    mov eax, cr4
    mov [entry_regs + 44], eax
    mov eax, dr6
    mov [entry_regs + 48], eax
    mov eax, dr7
    mov [entry_regs + 52], eax
    mov [entry_sel + 0], cs
    mov [entry_sel + 2], ds
    mov [entry_sel + 4], es
    mov [entry_sel + 6], fs
    mov [entry_sel + 8], gs
    mov [entry_sel + 10], ss
    sgdt [entry_gdtr]
    sidt [entry_idtr]
    sldt [entry_sel + 12]
    str [entry_sel + 14]
    mov eax, [entry_regs + 0]
%endmacro

%include "lib/kernel.inc"

section .data
entry_regs: times 14 dd 0           ; eax ebx ecx edx esi edi ebp esp eflags cr0 cr3 cr4 dr6 dr7
entry_sel:  times 8 dw 0            ; cs ds es fs gs ss ldtr tr
entry_gdtr: dw 0
            dd 0
entry_idtr: dw 0
            dd 0
buffer:     times 256 db 0          ; copy of a table, for masking before the dump

section .rodata
reg_names:  db "eax ebx ecx edx esi edi ebp esp efl cr0 cr3 cr4 dr6 dr7 "
sel_names:  db "cs  ds  es  fs  gs  ss  ldtrtr  "

section .text
main:
    println `boot-state: the machine at the kernel's entry`
    call show_registers
    call show_multiboot
    call show_bda
    call show_mp
    call show_acpi
    println `done`
    mov al, EXIT_SUCCESS
    ret

; ------------------------------------------------------------------ helpers

; dump: ESI = physical address, ECX = byte count. Lines of 16 bytes: "  aaaaaaaa: xx xx ...".
; dump_as: the same with EDI = the address to show for the first byte (for copies in buffer).
dump:
    push edi
    mov edi, esi
    call dump_as
    pop edi
    ret
dump_as:
    pushad
.line:
    test ecx, ecx
    jz .done
    print `  `
    mov eax, edi
    add edi, 16
    push ecx
    mov ecx, 8
    call put_hexn_bare
    pop ecx
    mov al, ':'
    call putc
    mov edx, 16
.byte:
    mov al, ' '
    call putc
    movzx eax, byte [esi]
    push ecx
    mov ecx, 2
    call put_hexn_bare
    pop ecx
    inc esi
    dec ecx
    jz .end_line
    dec edx
    jnz .byte
.end_line:
    call newline
    jmp .line
.done:
    popad
    ret

; put_hexn_bare: EAX, ECX digits, without "0x".
put_hexn_bare:
    push eax
    push ecx
    push edx
    mov edx, eax
    push ecx
    neg ecx
    add ecx, 8
    shl ecx, 2
    shl edx, cl
    pop ecx
.digit:
    rol edx, 4
    mov eax, edx
    and eax, 0xF
    mov al, [hex_digits + eax]
    call putc
    dec ecx
    jnz .digit
    pop edx
    pop ecx
    pop eax
    ret

; sum8: ESI = address, ECX = length -> AL = byte sum (0 when the checksum is right).
sum8:
    push esi
    push ecx
    xor eax, eax
.add:
    add al, [esi]
    inc esi
    dec ecx
    jnz .add
    pop ecx
    pop esi
    ret

; print_checksum: ESI, ECX: prints "checksum ok" or "checksum BAD".
print_checksum:
    push eax
    call sum8
    test al, al
    jnz .bad
    println `  checksum ok`
    pop eax
    ret
.bad:
    println `  checksum BAD`
    pop eax
    ret

; copy_to_buffer: ESI = source, ECX = length (at most 256) -> ESI = buffer.
copy_to_buffer:
    push edi
    push ecx
    mov edi, buffer
    rep movsb
    pop ecx
    pop edi
    mov esi, buffer
    ret

; ------------------------------------------------------------------ 1. registers

show_registers:
    xor ebx, ebx
.reg:
    mov al, ' '
    test bl, 3                      ; four registers a line
    jz .first
    call putc
.first:
    lea esi, [reg_names + ebx * 4]
    mov ecx, 4
.name:
    lodsb
    cmp al, ' '
    je .named
    call putc
    loop .name
.named:
    mov al, '='
    call putc
    mov eax, [entry_regs + ebx * 4]
    call put_hex32
    inc ebx
    cmp ebx, 4
    jne .no_break
    call newline
    xor ecx, ecx
.no_break:
    cmp ebx, 8
    jne .no_break2
    call newline
.no_break2:
    cmp ebx, 12
    jne .no_break3
    call newline
.no_break3:
    cmp ebx, 14
    jne .reg
    call newline
    xor ebx, ebx
.sel:
    lea esi, [sel_names + ebx * 4]
    mov ecx, 4
.sname:
    lodsb
    cmp al, ' '
    je .snamed
    call putc
    loop .sname
.snamed:
    mov al, '='
    call putc
    movzx eax, word [entry_sel + ebx * 2]
    call put_hex16
    mov al, ' '
    call putc
    inc ebx
    cmp ebx, 8
    jne .sel
    call newline
    print `gdtr=`
    mov eax, [entry_gdtr + 2]
    call put_hex32
    mov al, '/'
    call putc
    movzx eax, word [entry_gdtr]
    call put_hex16
    print ` idtr=`
    mov eax, [entry_idtr + 2]
    call put_hex32
    mov al, '/'
    call putc
    movzx eax, word [entry_idtr]
    call put_hex16
    call newline
    println `gdt:`
    mov esi, [entry_gdtr + 2]
    movzx ecx, word [entry_gdtr]
    inc ecx
    call dump
    print `apic svr=`
    mov eax, [0xFEE000F0]
    call put_hex32
    print ` lint0=`
    mov eax, [0xFEE00350]
    call put_hex32
    print ` lint1=`
    mov eax, [0xFEE00360]
    call put_hex32
    print ` id=`
    mov eax, [0xFEE00020]
    call put_hex32
    print ` version=`
    mov eax, [0xFEE00030]
    call put_hex32
    call newline
    ret

; ------------------------------------------------------------------ 2. Multiboot

show_multiboot:
    mov ebx, [mb_info]
    print `mbi flags=`
    mov eax, [ebx + 0]
    call put_hex32
    print ` mem_lower=`
    mov eax, [ebx + 4]
    call put_dec
    print ` mem_upper=`
    mov eax, [ebx + 8]
    call put_dec
    print ` boot_device=`
    mov eax, [ebx + 12]
    call put_hex32
    call newline
    print `mbi cmdline=`
    mov eax, [ebx + 16]
    call put_hex32
    print ` mods_count=`
    mov eax, [ebx + 20]
    call put_dec
    print ` mods_addr=`
    mov eax, [ebx + 24]
    call put_hex32
    print ` mmap_length=`
    mov eax, [ebx + 44]
    call put_dec
    print ` mmap_addr=`
    mov eax, [ebx + 48]
    call put_hex32
    call newline
    mov esi, [ebx + 48]
    mov edi, esi
    add edi, [ebx + 44]
.entry:
    cmp esi, edi
    jae .done
    print `  e820 base=`
    mov eax, [esi + 8]
    call put_hex32
    mov eax, [esi + 4]
    push ecx
    mov ecx, 8
    call put_hexn_bare
    pop ecx
    print ` length=`
    mov eax, [esi + 16]
    call put_hex32
    mov eax, [esi + 12]
    push ecx
    mov ecx, 8
    call put_hexn_bare
    pop ecx
    print ` type=`
    mov eax, [esi + 20]
    call put_dec
    print ` size=`
    mov eax, [esi]
    call put_dec
    call newline
    add esi, [esi]
    add esi, 4
    jmp .entry
.done:
    ret

; ------------------------------------------------------------------ 3. BDA

show_bda:
    println `bios data area (0x46c-0x470 shown as 0):`
    mov esi, 0x400
    mov ecx, 256
    call copy_to_buffer
    mov dword [buffer + 0x6c], 0
    mov byte [buffer + 0x70], 0
    mov edi, 0x400
    call dump_as
    print `ebda segment=`
    movzx eax, word [0x40E]
    call put_hex16
    print ` size (KiB)=`
    movzx eax, word [0x40E]
    shl eax, 4
    movzx eax, byte [eax]
    call put_dec
    print ` int12 memory=`
    movzx eax, word [0x413]
    call put_dec
    call newline
    ret

; ------------------------------------------------------------------ 4. MP

; find_signature: EAX = 4-byte signature, ESI = start, ECX = length, EDX = table length to
; checksum (16 for "_MP_", 20 for "RSD "), step 16 -> ESI = address or 0.
find_signature:
    push ecx
.try:
    cmp [esi], eax
    jne .next
    push ecx
    mov ecx, edx
    push eax
    call sum8
    test al, al
    pop eax
    pop ecx
    jz .found
.next:
    add esi, 16
    sub ecx, 16
    ja .try
    xor esi, esi
.found:
    pop ecx
    ret

; find_in_bios_areas: EAX = signature, EDX = checksum length -> ESI (0 if absent).
; Searches the first KiB of the EBDA, the last KiB of base memory, then 0xE0000-0xFFFFF.
find_in_bios_areas:
    push ecx
    movzx esi, word [0x40E]
    shl esi, 4
    mov ecx, 1024
    call find_signature
    test esi, esi
    jnz .out
    movzx esi, word [0x413]
    dec esi
    shl esi, 10
    mov ecx, 1024
    call find_signature
    test esi, esi
    jnz .out
    mov esi, 0xE0000
    mov ecx, 0x20000
    call find_signature
.out:
    pop ecx
    ret

show_mp:
    mov eax, '_MP_'
    mov edx, 16
    call find_in_bios_areas
    test esi, esi
    jnz .found
    println `mp: no floating pointer`
    ret
.found:
    print `mp floating pointer at `
    mov eax, esi
    call put_hex32
    call newline
    mov ecx, 16
    call dump
    mov ebx, [esi + 4]
    print `mp configuration table at `
    mov eax, ebx
    call put_hex32
    call newline
    cmp dword [ebx], 'PCMP'
    je .pcmp
    println `  no PCMP signature`
    ret
.pcmp:
    mov esi, ebx
    movzx ecx, word [ebx + 4]
    call print_checksum
    cmp ecx, 256
    jbe .fits
    println `  longer than 256 bytes`
    ret
.fits:
    call copy_to_buffer
    mov byte [buffer + 7], 0
    ; the first entry is the processor (type 0): compare with CPUID
    cmp byte [buffer + 44], 0
    jne .dump
    push ecx
    push ebx
    mov eax, 1
    cpuid
    pop ebx
    pop ecx
    print `  processor signature = cpuid.1 eax: `
    cmp [buffer + 44 + 4], eax
    call print_yes_no
    print `  processor features = cpuid.1 edx: `
    cmp [buffer + 44 + 8], edx
    call print_yes_no
    mov dword [buffer + 44 + 4], 0
    mov dword [buffer + 44 + 8], 0
.dump:
    mov edi, ebx
    call dump_as
    ret

; print_yes_no: after a CMP: "yes" if equal.
print_yes_no:
    jne .no
    println `yes`
    ret
.no:
    println `no`
    ret

; ------------------------------------------------------------------ 5. ACPI

show_acpi:
    mov eax, 'RSD '
    mov edx, 20
    call find_in_bios_areas
    test esi, esi
    jnz .found
    println `acpi: no RSDP`
    ret
.found:
    cmp dword [esi + 4], 'PTR '
    je .rsdp
    println `acpi: bad RSDP signature`
    ret
.rsdp:
    print `acpi rsdp at `
    mov eax, esi
    call put_hex32
    call newline
    mov ecx, 20
    call dump
    mov ebx, [esi + 16]
    print `rsdt at `
    mov eax, ebx
    call put_hex32
    call newline
    mov esi, ebx
    mov ecx, [ebx + 4]
    call print_checksum
    lea edi, [ebx + 36]
    add ebx, [ebx + 4]              ; end of the entries
.entry:
    cmp edi, ebx
    jae .done
    mov esi, [edi]
    add edi, 4
    mov eax, [esi]
    cmp eax, 'FACP'
    je .show
    cmp eax, 'APIC'
    jne .entry
.show:
    call show_table
    cmp dword [esi], 'FACP'
    jne .entry
    push esi
    mov esi, [esi + 36]             ; FACS
    print `facs at `
    mov eax, esi
    call put_hex32
    call newline
    mov ecx, [esi + 4]
    call dump
    pop esi
    mov esi, [esi + 40]             ; DSDT
    print `dsdt at `
    mov eax, esi
    call put_hex32
    print ` signature=`
    mov ecx, 4
    call print_chars
    print ` revision=`
    movzx eax, byte [esi + 8]
    call put_dec
    print ` oem=`
    push esi
    add esi, 10
    mov ecx, 6 + 8
    call print_chars
    pop esi
    call newline
    mov ecx, [esi + 4]
    call print_checksum
    jmp .entry
.done:
    ret

; show_table: ESI = an ACPI table: its address, checksum check and bytes.
show_table:
    push ecx
    print `table `
    mov ecx, 4
    call print_chars
    print ` at `
    mov eax, esi
    call put_hex32
    call newline
    mov ecx, [esi + 4]
    call print_checksum
    call dump
    pop ecx
    ret

; print_chars: ESI = address, ECX = count.
print_chars:
    push esi
    push ecx
.c:
    lodsb
    call putc
    loop .c
    pop ecx
    pop esi
    ret
