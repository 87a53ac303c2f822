; address-space - the kernel uses linear addresses a VMM wants for itself.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/address-space.txt.
;
; Seed, "Address-space compression": a VMM must keep its IDT, GDT and
; transition code somewhere in the guest's linear address space; ringside's
; software monitors take the top 4 MiB (0xFFC00000-0xFFFFFFFF). A guest that
; uses that region itself must see its own memory there, and each of its
; accesses has to go through the monitor.
;
; With paging on (the low 4 MiB identity-mapped, supervisor) the kernel:
;   1. maps linear 0xFFD00000 to page A, writes 1024 dwords through it and
;      reads them back through the identity mapping of A (checksum), and the
;      other way round;
;   2. looks at the accessed/dirty bits the CPU set in that PTE;
;   3. remaps 0xFFD00000 to page B, INVLPG, reads B's marker through it;
;   4. maps its IDT read-only at 0xFFD02000 (as Linux once did with its
;      IDT), LIDTs that address, reads a gate back through it and takes
;      INT 0x31 through it (no SGDT/SIDT here: privileged-state does those);
;   5. touches the unmapped 0xFFD01000: its own #PF handler (reached through
;      the relocated IDT) sees CR2 = 0xFFD01000 and skips the access.
; Natively and under every monitor the output is the same; under software
; monitors each step costs traps.

%include "lib/kernel.inc"
%include "lib/paging.inc"

HIGH_PAGE   equ 0xFFD00000          ; inside the monitor-reserved top 4 MiB
HIGH_HOLE   equ 0xFFD01000          ; left unmapped
HIGH_IDT    equ 0xFFD02000          ; the IDT's second home
MARKER_B    equ 0x0B0B0B0B
BACK_MARKER equ 0x600DCAFE
PATTERN_MUL equ 0x01000193
PATTERN_XOR equ 0xA5A5A5A5

section .bss
alignb 4096
page_dir:  resb 4096
page_a:    resb 4096
page_b:    resb 4096

section .data
align 4
    dw 0
high_idt_descriptor:
    dw IDT_ENTRIES * 8 - 1
    dd HIGH_IDT
int31_seen: dd 0
pf_seen:    dd 0
pf_cr2:     dd 0
pf_error:   dd 0

section .text
main:
    println `address-space: using the top 4 MiB of the linear address space`

    ; --- paging: kernel identity map + HIGH_PAGE -> page A
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    mov eax, HIGH_PAGE
    mov edx, page_a
    mov ecx, PTE_W
    call map_page
    call paging_enable
    print `paging on; `
    mov eax, HIGH_PAGE
    call put_hex32
    print ` -> physical `
    mov eax, page_a
    call put_hex32
    println ` (page A)`

    ; --- 1a. write through the high mapping, read through the identity one
    mov edi, HIGH_PAGE
    call fill_pattern
    mov esi, page_a
    call checksum_page
    mov ebx, eax
    call expected_checksum
    print `wrote 1024 dwords at `
    push eax
    mov eax, HIGH_PAGE
    call put_hex32
    print `, read back at `
    mov eax, page_a
    call put_hex32
    print `: checksum `
    mov eax, ebx
    call put_hex32
    pop eax
    cmp eax, ebx
    call ok_or_wrong
    ; 1b. write through the identity mapping, read through the high one
    mov dword [page_a + 0xFFC], BACK_MARKER
    print `wrote `
    mov eax, BACK_MARKER
    call put_hex32
    print ` at `
    mov eax, page_a + 0xFFC
    call put_hex32
    print `, read at `
    mov eax, HIGH_PAGE + 0xFFC
    call put_hex32
    print `: `
    mov eax, [HIGH_PAGE + 0xFFC]
    call put_hex32
    cmp eax, BACK_MARKER
    call ok_or_wrong

    ; --- 2. accessed and dirty bits in the PTE of HIGH_PAGE
    mov eax, HIGH_PAGE
    call pte_address
    mov eax, [ebx]
    print `pte of `
    push eax
    mov eax, HIGH_PAGE
    call put_hex32
    pop eax
    print `: accessed=`
    push eax
    shr eax, 5
    and eax, 1
    call put_dec
    pop eax
    print ` dirty=`
    shr eax, 6
    and eax, 1
    call put_dec
    call newline

    ; --- 3. remap HIGH_PAGE to page B, flush that TLB entry
    mov dword [page_b], MARKER_B
    mov eax, HIGH_PAGE
    mov edx, page_b
    mov ecx, PTE_W
    mov edi, page_dir
    call map_page
    invlpg [HIGH_PAGE]
    mov eax, [HIGH_PAGE]
    print `remapped to page B + invlpg: `
    push eax
    mov eax, HIGH_PAGE
    call put_hex32
    pop eax
    print ` reads `
    call put_hex32
    cmp eax, MARKER_B
    call ok_or_wrong

    ; --- 4. the IDT seen at HIGH_IDT (read-only alias), LIDT there
    set_gate 0x31, int31_handler, GATE_INT_R0
    mov eax, 14
    mov ebx, page_fault_handler
    call idt_set_gate
    mov eax, HIGH_IDT
    mov edx, idt
    xor ecx, ecx                    ; supervisor, read-only
    mov edi, page_dir
    call map_page
    lidt [high_idt_descriptor]
    ; read gate 0x31 back through the alias (offset 0..15 and 16..31)
    movzx eax, word [HIGH_IDT + 0x31 * 8 + 6]
    shl eax, 16
    mov ax, [HIGH_IDT + 0x31 * 8]
    print `idt moved to `
    push eax
    mov eax, HIGH_IDT
    call put_hex32
    pop eax
    print `; gate 0x31 read there points to `
    call put_hex32
    cmp eax, int31_handler
    call ok_or_wrong
    int 0x31
    print `int 0x31 through the idt at `
    mov eax, HIGH_IDT
    call put_hex32
    print `: handled `
    mov eax, [int31_seen]
    cmp eax, 1
    call yes_no
    call newline

    ; --- 5. an unmapped page in the region: our own #PF handler gets it
.probe:
    mov eax, [HIGH_HOLE]            ; faults; the handler resumes at .after
.after:
    print `read of unmapped `
    mov eax, HIGH_HOLE
    call put_hex32
    print `: `
    cmp dword [pf_seen], 1
    jne .no_fault
    print `#PF err=`
    mov eax, [pf_error]
    call put_hex32
    print ` cr2=`
    mov eax, [pf_cr2]
    call put_hex32
    println ` (the guest's own handler)`
    mov al, EXIT_SUCCESS
    ret
.no_fault:
    println `no fault`
    mov al, EXIT_FAILURE
    ret

; fill_pattern: dword i at EDI = i * PATTERN_MUL ^ PATTERN_XOR, i = 0..1023
fill_pattern:
    xor ecx, ecx
.next:
    imul eax, ecx, PATTERN_MUL
    xor eax, PATTERN_XOR
    mov [edi + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jne .next
    ret

; checksum_page: EAX = fold (rotate left 3, add) of the 1024 dwords at ESI
checksum_page:
    xor eax, eax
    xor ecx, ecx
.next:
    rol eax, 3
    add eax, [esi + ecx * 4]
    inc ecx
    cmp ecx, 1024
    jne .next
    ret

; expected_checksum: EAX = the checksum of the pattern, computed without memory
expected_checksum:
    push ebx
    push ecx
    push edx
    xor eax, eax
    xor ecx, ecx
.next:
    imul edx, ecx, PATTERN_MUL
    xor edx, PATTERN_XOR
    rol eax, 3
    add eax, edx
    inc ecx
    cmp ecx, 1024
    jne .next
    pop edx
    pop ecx
    pop ebx
    ret

; pte_address: EBX = address of the PTE that maps linear EAX in page_dir
; (page tables are identity-mapped, so their physical address works)
pte_address:
    push eax
    mov ebx, eax
    shr ebx, 22
    mov ebx, [page_dir + ebx * 4]
    and ebx, 0xFFFFF000
    shr eax, 12
    and eax, 0x3FF
    lea ebx, [ebx + eax * 4]
    pop eax
    ret

; ok_or_wrong: " ok\n" if the flags say equal, else " WRONG\n" (and fail)
ok_or_wrong:
    jne .wrong
    println ` ok`
    ret
.wrong:
    println ` WRONG`
    mov al, EXIT_FAILURE
    jmp exit

; yes_no: "yes" if the flags say equal, else "no"
yes_no:
    je .yes
    print `no`
    ret
.yes:
    print `yes`
    ret

int31_handler:
    inc dword [int31_seen]
    iret

; #PF: expected only at main.probe; note it and resume after the access.
page_fault_handler:
    push eax
    mov eax, cr2
    cmp eax, HIGH_HOLE
    jne .unexpected
    cmp dword [esp + 8], main.probe ; saved EIP (above the error code)
    jne .unexpected
    mov [pf_cr2], eax
    mov eax, [esp + 4]
    mov [pf_error], eax
    inc dword [pf_seen]
    mov dword [esp + 8], main.after
    pop eax
    add esp, 4                      ; drop the error code
    iret
.unexpected:
    pop eax
    jmp exception_14
