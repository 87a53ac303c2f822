; vtx-exits - one of each VM exit the built-in VT-x VMM can be made to take,
; in turn, each at a label named x_<what> (the tests find the labels in the
; symbol table and match the recorded monitor_exit events against them).
; Natively (and on QEMU) it does the same work and prints the same line.
;
;   x_cpuid     CPUID                       exit 10
;   x_out       OUT 80h, AL                 exit 30 (immediate, out, 1 byte)
;   x_in        IN AL, DX (DX = 3FDh)       exit 30 (DX, in, 1 byte)
;   x_rdmsr     RDMSR of IA32_APIC_BASE     exit 31
;   x_wrmsr     WRMSR of IA32_APIC_BASE     exit 32
;   x_movdr     MOV EAX, DR7                exit 29 (the first use of a debug register;
;   x_movdr2    MOV DR0, EAX                  after it the guest owns them: no exit)
;   x_rdpmc     RDPMC                       exit 15 (no counters: #GP(0) reaches the guest)
;   x_apic      write of the APIC SVR       exit 44
;   x_ept       read at 0C0000000H          exit 48 (no RAM there; generation 2)
;   x_nmi       ICR: NMI to self            exit 44, then exit 0 (NMI); the handler sends a
;                                           second NMI: exit 0 again, held while the guest
;                                           blocks NMIs, NMI window (exit 8) at its IRET
;   x_sti       STI after the timer fired with IF = 0: exit 1 (external interrupt) then
;                                           exit 7 (interrupt window)
;   x_tpr_low   TPR 00H while a timer interrupt waits behind TPR F0H: exit 43 (generation
;               2; x_tpr_high, TPR 50H, above the threshold, does not exit)
;   x_hlt       HLT                         exit 12, then exit 1 wakes it
;   x_cr3       MOV CR3, EDI                exit 28 (generation 1: CR3-load exiting)
;   x_invlpg    INVLPG [EAX]                exit 14 (generation 1)
;   x_ud2       UD2 with an empty IDT       a triple fault: exit 2; the run ends in a shutdown
;
; Expected on ringside and QEMU: one line of counts, then the triple fault. The
; timer waits are counted in instructions, so QEMU counts one nanosecond per
; instruction, ringside's rule:
; QEMU options: -icount shift=0

%include "lib/kernel.inc"
%include "lib/apic.inc"
%include "lib/paging.inc"
%include "tests/drain.inc"

TIMER_VECTOR equ 0x40
IA32_APIC_BASE equ 0x1B
WAIT_LOOPS   equ 60000              ; 120,000 instructions: longer than the timer's count

section .bss
alignb 4096
page_dir: resb 4096

section .data
align 4
pmc_faults:  dd 0
nmi_count:   dd 0
timer_count: dd 0
no_ram:      dd 0
empty_idt:   dw 0
             dd 0

section .text
main:
    set_gate 13, pmc_fault, GATE_INT_R0 ; #GP(0) from RDPMC (no counters)
    set_gate 6, pmc_fault_ud, GATE_INT_R0 ; #UD from RDPMC on QEMU, which does not implement it
    set_gate 2, nmi_entry, GATE_INT_R0
    set_gate TIMER_VECTOR, timer_entry, GATE_INT_R0
    cli

    xor eax, eax
x_cpuid:
    cpuid
    mov al, 0x55
x_out:
    out 0x80, al
    mov dx, COM1 + UART_LSR
x_in:
    in al, dx
    mov ecx, IA32_APIC_BASE
x_rdmsr:
    rdmsr
x_wrmsr:
    wrmsr
x_movdr:
    mov eax, dr7
x_movdr2:
    mov dr0, eax
    xor ecx, ecx
x_rdpmc:
    rdpmc                           ; #GP(0): pmc_fault skips it
x_apic:
    mov APIC_REG(APIC_SVR), APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR
x_ept:
    mov eax, [0xC0000000]
    mov [no_ram], eax
x_nmi:
    mov APIC_REG(0x300), 0x44400    ; ICR: NMI to self
    nop
    nop

    ; The timer fires while IF = 0: it waits in the APIC until STI.
    mov eax, TIMER_VECTOR           ; one-shot
    call apic_timer_start
    call wait_long
x_sti:
    sti
    nop
    cli

    ; A raised TPR holds the next timer interrupt back; lowering it lets it in.
    mov APIC_REG(APIC_TPR), 0xF0
    mov eax, TIMER_VECTOR
    call apic_timer_start
    call wait_long
    sti
x_tpr_high:
    mov APIC_REG(APIC_TPR), 0x50
x_tpr_low:
    mov APIC_REG(APIC_TPR), 0x00
    nop
    cli

    ; HLT until the timer wakes it.
    mov eax, TIMER_VECTOR
    call apic_timer_start
    sti
x_hlt:
    hlt
    cli

    ; Paging on, then a remap with INVLPG.
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    call map_apic
    push eax
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
x_cr3:
    mov cr3, edi
    mov cr0, eax
    pop eax
    mov eax, 0x00200000
x_invlpg:
    invlpg [eax]

    print `vtx-exits: rdpmc faults=`
    mov eax, [pmc_faults]
    call put_dec
    print ` nmi=`
    mov eax, [nmi_count]
    call put_dec
    print ` timer=`
    mov eax, [timer_count]
    call put_dec
    call newline
    call uart_drain
    lidt [empty_idt]
x_ud2:
    ud2

wait_long:
    mov ecx, WAIT_LOOPS
.loop:
    dec ecx
    jnz .loop
    ret

pmc_fault:                          ; RDPMC's #GP(0): skip the 2-byte instruction
    add esp, 4
pmc_fault_ud:
    inc dword [pmc_faults]
    add dword [esp], 2
    iret

nmi_entry:
    inc dword [nmi_count]
    cmp dword [nmi_count], 1
    jne .done
    mov APIC_REG(0x300), 0x44400    ; a second NMI, while this one blocks NMIs
    nop
.done:
    iret

timer_entry:
    inc dword [timer_count]
    mov APIC_REG(APIC_EOI), 0
    iret
