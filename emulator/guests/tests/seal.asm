; seal - tries, from its kernel, every way an expand-down segment or the
; SYSENTER MSRs could reach a software monitor's region (0xFFC00000 and up:
; the monitor's IDT at +0x1000, its stack below +0x6000, its GDT at +0x10000).
; The guest maps that region (and the page below it) to its own RAM at
; 0x500000 with its page tables. Natively its reads and writes land there;
; under a monitor the guest must see exactly that too (its own memory, never
; the monitor's), and fault exactly where it faults natively.
;
;  1. a 32-bit expand-down data segment (GDT), base 0, limit 0xFFF: reads and
;     writes at 0xFFC01000 (the IDT) and 0xFFC05FF0 (the stack); an offset
;     below the limit (#GP natively);
;  2. a 16-bit expand-down data segment, base 0xFFBFF000: offset 0x2000 is
;     0xFFC01000; an offset above 0xFFFF (#GP);
;  3. the same as 1 from an LDT;
;  4. an expand-down stack segment: PUSH and POP at 0xFFC06000;
;  5. a call gate written at 0xFFC10050 (slot 10 of the monitor's GDT), then
;     CALL FAR 0x50:0 (beyond the guest's GDT limit: #GP(0x50) natively);
;  6. IA32_SYSENTER_CS = 0xFFC0 (the monitor's code selector), SYSENTER, and
;     MOV DS, CS at the entry point: #GP(0xFFC0) natively.
;
; Expected on ringside (every mode): the same lines, exit code 1. QEMU's TCG
; does not check data-segment limits, so lines 1 and 2 lack its faults there.

%include "lib/kernel.inc"
%include "lib/msr.inc"
%include "lib/paging.inc"

GUEST_WINDOW equ 0x00500000         ; RAM behind linear 0xFFC00000

ACC_DATA_DOWN equ 0x96              ; present, DPL 0, data, expand-down, writable
FLG_BYTE_32   equ 0x4               ; G = 0, D/B = 1
MAGIC_IDT     equ 0x5EA10001
MAGIC_STACK   equ 0x5EA10002
MAGIC_16      equ 0x5EA10003
MAGIC_LDT     equ 0x5EA10004
MAGIC_PUSH    equ 0x5EA10005

%macro try 1
    mov dword [resume], %1
%endmacro

section .data
resume:      dd 0                   ; where a caught fault continues
saved_esp:   dd 0
align 8
ldt_table:
    dq 0
    dw 0x0FFF, 0x0000               ; 0x0C: expand-down, base 0, limit 0xFFF, 32-bit
    db 0x00, ACC_DATA_DOWN, 0x40, 0x00
ldt_end:

section .bss
alignb 4096
page_directory: resb 4096
alignb 16
                resb 4096
sysenter_stack_top:

section .text
main:
    println `seal: expand-down segments and SYSENTER_CS against the monitor region`
    set_gate 12, fault_12, GATE_INT_R0
    mov eax, 13
    mov ebx, fault_13
    call idt_set_gate
    ; Paging: the kernel identity-mapped; 0xFFBFF000-0xFFC10FFF on guest RAM.
    mov edi, page_directory
    xor ecx, ecx
    call map_kernel
    mov eax, 0xFFBFF000
    mov edx, GUEST_WINDOW - 0x1000
    mov ecx, PTE_W
.map:
    call map_page
    add eax, 0x1000
    add edx, 0x1000
    cmp eax, 0xFFC11000
    jne .map
    call paging_enable

    ; 1. 32-bit expand-down data segment in the GDT
    mov eax, GDT_SPARE0
    xor ebx, ebx
    mov ecx, 0xFFF
    mov dl, ACC_DATA_DOWN
    mov dh, FLG_BYTE_32
    call gdt_set
    mov ax, GDT_SPARE0
    mov es, ax
    print `1 read idt `
    mov eax, [es:0xFFC01000]
    call put_hex32
    mov dword [es:0xFFC01000], MAGIC_IDT
    mov dword [es:0xFFC05FF0], MAGIC_STACK
    print ` after write `
    mov eax, [es:0xFFC01000]
    call put_hex32
    print ` stack `
    mov eax, [es:0xFFC05FF0]
    call put_hex32
    print ` flat view `
    mov eax, [0xFFC05FF0]           ; the same bytes through the flat DS
    call put_hex32
    try .t1
    mov eax, [es:0x800]             ; below the limit: #GP(0)
.t1:
    call newline

    ; 2. 16-bit expand-down data segment reaching the region from below
    mov eax, GDT_SPARE1
    mov ebx, 0xFFBFF000
    mov ecx, 0xFFF
    mov dl, ACC_DATA_DOWN
    mov dh, FLG_BYTE
    call gdt_set
    mov ax, GDT_SPARE1
    mov es, ax
    mov dword [0xFFC01000], 0x22220000  ; planted through the flat DS
    print `2 read idt `
    mov eax, [es:0x2000]
    call put_hex32
    mov dword [es:0x2000], MAGIC_16
    print ` after write `
    mov eax, [0xFFC01000]
    call put_hex32
    try .t2
    mov eax, [es:0x10000]           ; above 0xFFFF: #GP(0)
.t2:
    call newline

    ; 3. the same from an LDT
    mov eax, GDT_SPARE2
    mov ebx, ldt_table
    mov ecx, ldt_end - ldt_table - 1
    mov dl, ACC_LDT
    mov dh, FLG_BYTE
    call gdt_set
    mov ax, GDT_SPARE2
    lldt ax
    mov ax, 0x0C                    ; LDT entry 1
    mov fs, ax
    mov dword [0xFFC01000], 0x33330000  ; planted through the flat DS
    print `3 read idt `
    mov eax, [fs:0xFFC01000]
    call put_hex32
    mov dword [fs:0xFFC01000], MAGIC_LDT
    print ` after write `
    mov eax, [0xFFC01000]
    call put_hex32
    call newline

    ; 4. an expand-down stack at the monitor's stack
    mov eax, GDT_SPARE1
    xor ebx, ebx
    mov ecx, 0xFFF
    mov dl, ACC_DATA_DOWN
    mov dh, FLG_BYTE_32
    call gdt_set
    mov dword [0xFFC05FFC], 0x44440000  ; planted through the flat DS
    mov [saved_esp], esp
    mov ax, GDT_SPARE1
    mov ss, ax
    mov esp, 0xFFC05FFC
    pop ebx                         ; the planted value
    push dword MAGIC_PUSH
    mov ax, KERNEL_DS
    mov ss, ax
    mov esp, [saved_esp]
    print `4 popped `
    mov eax, ebx
    call put_hex32
    print ` pushed `
    mov eax, [0xFFC05FFC]
    call put_hex32
    call newline

    ; 5. a call gate planted in the monitor's GDT, then used
    mov ax, GDT_SPARE0
    mov es, ax
    mov dword [es:0xFFC10050], (0xFFC0 << 16) | 0x0000
    mov dword [es:0xFFC10054], 0x0010EC00
    print `5 call gate `
    try .t5
    call 0x53:0
.t5:
    call newline

    ; 6. SYSENTER through the monitor's own code selector
    mov eax, sysenter_target
    mov ecx, IA32_SYSENTER_EIP
    call wrmsr32
    mov eax, sysenter_stack_top
    mov ecx, IA32_SYSENTER_ESP
    call wrmsr32
    mov eax, 0xFFC0
    mov ecx, IA32_SYSENTER_CS
    call wrmsr32
    print `6 sysenter `
    mov [saved_esp], esp
    try .t6
    sysenter
.t6:
    mov ax, KERNEL_DS
    mov ss, ax
    mov ds, ax
    mov es, ax
    mov esp, [saved_esp]
    call newline
    mov al, EXIT_SUCCESS
    ret

sysenter_target:
    mov ax, cs
    mov ds, ax                      ; 0xFFC0 is beyond the GDT limit: #GP(0xFFC0)
    hlt

; A caught #SS or #GP: print it, continue at [resume] in KERNEL_CS.
fault_12:
    push dword 12
    jmp fault_common
fault_13:
    push dword 13
fault_common:                       ; [esp] vector, [esp+4] error, [esp+8] EIP, [esp+12] CS
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    print ` (fault `
    mov eax, [esp]
    call put_dec
    print ` error `
    mov eax, [esp + 4]
    call put_hex32
    print `)`
    mov eax, [resume]
    mov [esp + 8], eax
    mov dword [esp + 12], KERNEL_CS
    add esp, 8
    iret
