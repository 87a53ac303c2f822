; event-stamps - one of each control transfer, from ring 3: INT 0x80 and its
; IRET, SYSENTER and SYSEXIT, a #GP (CLI at CPL 3) and its handler's IRET, a
; far CALL through a call gate and its RET far, a self NMI (APIC ICR) and an
; APIC timer interrupt that interrupt ring-3 code. The tests check that each
; event is stamped with the instruction at which it happened and that each
; transfer names its destination.
;
; Expected on ringside and QEMU: one line of counts, exit code 1.

%include "lib/kernel.inc"
%include "lib/apic.inc"
%include "lib/msr.inc"
%include "lib/user.inc"

TIMER_VECTOR equ 0x40
SYS_COUNT    equ 1
SYS_EXIT     equ 2
CALL_GATE    equ GDT_SPARE0 | 3

section .data
int80_count:    dd 0
sysenter_count: dd 0
gp_count:       dd 0
gate_count:     dd 0
nmi_count:      dd 0
timer_count:    dd 0

section .text
main:
    set_gate 0x80, int80_entry, GATE_INT_R3
    set_gate 13, gp_entry, GATE_INT_R0
    set_gate 2, nmi_entry, GATE_INT_R0
    set_gate TIMER_VECTOR, timer_entry, GATE_INT_R0
    ; A 32-bit call gate, DPL 3, to gate_entry at ring 0.
    mov eax, gate_entry
    mov word [gdt + GDT_SPARE0], ax
    mov word [gdt + GDT_SPARE0 + 2], KERNEL_CS
    mov byte [gdt + GDT_SPARE0 + 4], 0
    mov byte [gdt + GDT_SPARE0 + 5], 0xEC
    shr eax, 16
    mov word [gdt + GDT_SPARE0 + 6], ax
    mov eax, sysenter_entry
    mov ebx, kernel_stack_top
    call sysenter_setup
    call apic_enable
    mov eax, TIMER_VECTOR           ; one-shot
    call apic_timer_start
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x202                  ; EFLAGS: IF = 1, IOPL 0
    jmp enter_user

int80_entry:
    cmp eax, SYS_EXIT
    je .exit
    inc dword [int80_count]
    iret
.exit:
    mov ax, KERNEL_DS
    mov ds, ax
    mov es, ax
    print `event-stamps: int80=`
    mov eax, [int80_count]
    call put_dec
    print ` sysenter=`
    mov eax, [sysenter_count]
    call put_dec
    print ` gp=`
    mov eax, [gp_count]
    call put_dec
    print ` callgate=`
    mov eax, [gate_count]
    call put_dec
    print ` nmi=`
    mov eax, [nmi_count]
    call put_dec
    print ` timer=`
    mov eax, [timer_count]
    call put_dec
    call newline
    mov al, EXIT_SUCCESS
    jmp exit

sysenter_entry:                     ; SYSENTER cleared IF; SYSEXIT keeps it
    inc dword [sysenter_count]
    sti
    sysexit

gp_entry:                           ; the CLI at ring 3: skip it
    inc dword [gp_count]
    add dword [esp + 4], 1
    add esp, 4
    iret

gate_entry:
    inc dword [gate_count]
    retf

nmi_entry:
    inc dword [nmi_count]
    iret

timer_entry:
    inc dword [timer_count]
    mov APIC_REG(APIC_EOI), 0
    iret

section .user_text
user_main:
    mov eax, SYS_COUNT
    int 0x80
    mov ecx, esp
    mov edx, .after_sysenter
    sysenter
.after_sysenter:
    cli                             ; #GP(0) at CPL 3
    call CALL_GATE:0
    mov dword [APIC_BASE + 0x300], 0x44400  ; ICR: NMI to self
    nop
.wait_timer:
    cmp dword [timer_count], 0
    je .wait_timer
    mov eax, SYS_EXIT
    int 0x80

section .user_data
align 16
user_stack: times 1024 db 0
user_stack_top:
