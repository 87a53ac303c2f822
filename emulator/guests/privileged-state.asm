; privileged-state - reading the descriptor-table registers and CR0 back.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/privileged-state.txt.
;
; Seed, "Non-faulting access to privileged state": LGDT, LIDT, LLDT and LTR
; (and MOV CR0) fault outside ring 0, but SGDT, SIDT, SLDT, STR and SMSW
; store those registers at any privilege level without faulting. A VMM that
; keeps its own values in GDTR/IDTR/LDTR/TR/CR0 cannot hide them.
;
; The kernel loads the registers itself (LGDT/LIDT/LTR at start-up, LLDT of
; a small LDT and MOV CR0 here), then executes every store instruction, in
; register and in memory form where both exist, first at ring 0 and then
; from a ring-3 process, and prints each value next to the value the kernel
; loaded. Natively every value matches and ring 3 does not fault; under a
; software VMM the bases (and selectors, CR0 bits) are the monitor's.

%include "lib/kernel.inc"
%include "lib/user.inc"

LDT_SEL        equ GDT_SPARE0      ; the GDT descriptor of the LDT
LDT_DATA_SEL   equ 0x0004          ; LDT entry 0 (TI = 1), RPL 0
CR0_VALUE      equ 0x00000011      ; PE | ET: protected mode, caches on
LDT_MARKER     equ 0x1D7DA7A0

; offsets in a store buffer (filled by store_all)
SB_GDT         equ 0               ; 6 bytes: limit, base
SB_IDT         equ 8
SB_SLDT_REG    equ 16
SB_SLDT_MEM    equ 20
SB_STR_REG     equ 24
SB_STR_MEM     equ 28
SB_SMSW_REG    equ 32
SB_SMSW_MEM    equ 36
SB_SIZE        equ 40

section .data
align 8
ldt:
    dq 0                            ; entry 0: data segment over ldt_data, set below
ldt_end:
align 4
ldt_data: dd LDT_MARKER
mismatches: dd 0

section .bss
kernel_buf: resb SB_SIZE

section .text
main:
    println `privileged-state: what do SGDT/SIDT/SLDT/STR/SMSW reveal?`
%ifdef UMIP
    call umip_on                    ; privileged-state-umip.asm: CR4.UMIP and a #GP handler
%endif

    ; --- the kernel loads LDTR and CR0 (GDTR, IDTR and TR were loaded at entry)
    mov edi, ldt
    mov ebx, ldt_data
    mov ecx, 3                      ; limit: 4 bytes
    mov dl, ACC_DATA_R0
    mov dh, FLG_BYTE
    call descriptor_write
    mov eax, LDT_SEL
    mov ebx, ldt
    mov ecx, ldt_end - ldt - 1
    mov dl, ACC_LDT
    mov dh, FLG_BYTE
    call gdt_set
    mov ax, LDT_SEL
    lldt ax
    mov eax, CR0_VALUE
    mov cr0, eax

    print `loaded: gdtr base=`
    mov eax, [gdt_descriptor + 2]
    call put_hex32
    print ` limit=`
    movzx eax, word [gdt_descriptor]
    call put_hex16
    print `, idtr base=`
    mov eax, [idt_descriptor + 2]
    call put_hex32
    print ` limit=`
    movzx eax, word [idt_descriptor]
    call put_hex16
    call newline
    print `loaded: ldtr=`
    mov eax, LDT_SEL
    call put_hex16
    print ` tr=`
    mov eax, TSS_SEL
    call put_hex16
    print ` cr0=`
    mov eax, CR0_VALUE
    call put_hex32
    call newline

    ; the LDT is live: read its data segment through FS
    mov ax, LDT_DATA_SEL
    mov fs, ax
    mov eax, [fs:0]
    print `ldt data segment (selector 0x0004) holds `
    call put_hex32
    call newline
    mov ax, KERNEL_DS
    mov fs, ax

    ; --- ring 0: store everything, then print it
    println `ring 0:`
    mov edi, kernel_buf
    call store_all
    mov esi, kernel_buf
    call report

    ; --- ring 3: the same instructions from a user process; it comes back
    ; with INT 0x30 (handler below), never returns here
    set_gate 0x30, user_done, GATE_INT_R3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002                  ; EFLAGS: IF = 0, IOPL = 0
    jmp enter_user

; INT 0x30 from the user process: it has filled user_buf.
user_done:
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    movzx eax, word [esp + 4]       ; CS of the caller
    and eax, 3
    print `ring 3 (cpl `
    call put_dec
%ifdef UMIP
    println `, CR4.UMIP set):`
    call report_umip
%else
    println `, no fault):`
    mov esi, user_buf
    call report
%endif
    mov eax, [mismatches]
    test eax, eax
    jnz .differs
    println `verdict: every stored value is the one the kernel loaded`
    mov al, EXIT_SUCCESS
    jmp exit
.differs:
    print `verdict: `
    call put_dec
    println ` stored values differ from what the kernel loaded`
    mov al, EXIT_SUCCESS
    jmp exit

; report: print the store buffer at ESI, comparing each value with what the
; kernel loaded; counts differences in [mismatches].
report:
    print `  sgdt: base=`
    mov eax, [esi + SB_GDT + 2]
    call put_hex32
    print ` limit=`
    movzx eax, word [esi + SB_GDT]
    call put_hex16
    mov eax, [esi + SB_GDT + 2]
    cmp eax, [gdt_descriptor + 2]
    jne .gdt_bad
    mov ax, [esi + SB_GDT]
    cmp ax, [gdt_descriptor]
    jne .gdt_bad
    call same
    jmp .idt
.gdt_bad:
    call different
.idt:
    print `  sidt: base=`
    mov eax, [esi + SB_IDT + 2]
    call put_hex32
    print ` limit=`
    movzx eax, word [esi + SB_IDT]
    call put_hex16
    mov eax, [esi + SB_IDT + 2]
    cmp eax, [idt_descriptor + 2]
    jne .idt_bad
    mov ax, [esi + SB_IDT]
    cmp ax, [idt_descriptor]
    jne .idt_bad
    call same
    jmp .ldt
.idt_bad:
    call different
.ldt:
    print `  sldt: reg=`
    movzx eax, word [esi + SB_SLDT_REG]
    call put_hex16
    print ` mem=`
    movzx eax, word [esi + SB_SLDT_MEM]
    call put_hex16
    mov ebx, LDT_SEL
    mov ecx, SB_SLDT_REG
    call compare_pair
    print `  str:  reg=`
    movzx eax, word [esi + SB_STR_REG]
    call put_hex16
    print ` mem=`
    movzx eax, word [esi + SB_STR_MEM]
    call put_hex16
    mov ebx, TSS_SEL
    mov ecx, SB_STR_REG
    call compare_pair
    print `  smsw: reg=`
    movzx eax, word [esi + SB_SMSW_REG]
    call put_hex16
    print ` mem=`
    movzx eax, word [esi + SB_SMSW_MEM]
    call put_hex16
    mov ebx, CR0_VALUE & 0xFFFF
    mov ecx, SB_SMSW_REG
    call compare_pair
    ret

; compare_pair: the 16-bit values at [ESI+ECX] and [ESI+ECX+4] against BX.
compare_pair:
    cmp bx, [esi + ecx]
    jne different
    cmp bx, [esi + ecx + 4]
    jne different
    ; fall through
same:
    println ` (as loaded)`
    ret
different:
    println ` (NOT what the kernel loaded)`
    inc dword [mismatches]
    ret

; ---------------------------------------------------------------------------
; Runs at ring 0 (called by main) and at ring 3 (called by user_main): with
; flat segments and paging off, ring 3 may execute it where it lies.
section .user_text
; store_all: store GDTR, IDTR, LDTR, TR and the MSW into the buffer at EDI.
store_all:
    sgdt [edi + SB_GDT]
    sidt [edi + SB_IDT]
    sldt eax                        ; register form (selector zero-extended)
    mov [edi + SB_SLDT_REG], eax
    sldt [edi + SB_SLDT_MEM]        ; memory form (16 bits)
    str eax
    mov [edi + SB_STR_REG], eax
    str [edi + SB_STR_MEM]
    smsw eax                        ; low 16 bits of CR0
    mov [edi + SB_SMSW_REG], eax
    smsw [edi + SB_SMSW_MEM]
    ret

; The ring-3 process: store everything, hand the buffer to the kernel.
user_main:
%ifdef UMIP
    jmp user_main_umip
%endif
    mov edi, user_buf
    call store_all
    int 0x30

section .user_data
user_buf: times SB_SIZE db 0
align 16
user_stack: times 1024 db 0
user_stack_top:
