; apic-reenable - the local APIC disabled and re-enabled through
; IA32_APIC_BASE bit 11 without a reset, and software-disabled through the
; SVR (SDM vol. 3 sections 10.4.3, 10.4.7.1, 10.4.7.2).
;
; Expected on ringside: exit code 1; the lines the SDM gives, pinned in
; tests/emulator/guests/apic-reenable.test.ts. Not compared with QEMU: QEMU
; 7.2 keeps an APIC disabled through IA32_APIC_BASE dead until reset, as the
; P6 family's 3-wire APIC bus required; on processors whose APIC sits on the
; system bus software may re-enable it.

%include "lib/kernel.inc"
%include "lib/apic.inc"
%include "lib/msr.inc"

TIMER_VECTOR equ 0x40
APIC_LDR     equ 0x0D0
APIC_DFR     equ 0x0E0
APIC_ICR_HI  equ 0x310
APIC_LVT_ERR equ 0x370

section .data
ticks: dd 0

section .text
main:
    println `apic-reenable: IA32_APIC_BASE bit 11 off and on, SVR software-disable`
    set_gate TIMER_VECTOR, timer_handler, GATE_INT_R0

    ; --- software-disable through the SVR: LVTs masked and kept masked, registers readable
    mov APIC_REG(APIC_SVR), APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR
    mov APIC_REG(APIC_TPR), 0x20
    mov APIC_REG(APIC_LVT_TIMER), TIMER_VECTOR
    mov APIC_REG(APIC_SVR), APIC_SPURIOUS_VECTOR          ; bit 8 clear
    print `svr off: lvt timer=`
    mov eax, APIC_REG(APIC_LVT_TIMER)
    call put_hex32
    mov APIC_REG(APIC_LVT_TIMER), TIMER_VECTOR            ; cannot unmask
    print ` after unmask=`
    mov eax, APIC_REG(APIC_LVT_TIMER)
    call put_hex32
    print ` tpr=`
    mov eax, APIC_REG(APIC_TPR)
    call put_hex32
    call newline

    ; --- state to lose: LDR, DFR, ICR high, divide, timer
    mov APIC_REG(APIC_SVR), APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR
    mov APIC_REG(APIC_LDR), 0x01000000
    mov APIC_REG(APIC_DFR), 0x0FFFFFFF
    mov APIC_REG(APIC_ICR_HI), 0x05000000
    mov APIC_REG(APIC_TIMER_DIV), TIMER_DIV_1
    mov APIC_REG(APIC_LVT_TIMER), TIMER_VECTOR
    mov APIC_REG(APIC_TIMER_INIT), 0x7fffffff

    ; --- IA32_APIC_BASE bit 11 off
    mov ecx, IA32_APIC_BASE
    rdmsr
    print `apic base=`
    call put_hex32
    and eax, ~0x800
    wrmsr
    rdmsr
    print ` off=`
    call put_hex32
    call cpuid_apic
    print ` version register reads `
    mov eax, APIC_REG(APIC_VERSION)
    call put_hex32
    call newline

    ; --- and on again: the power-up state
    mov ecx, IA32_APIC_BASE
    rdmsr
    or eax, 0x800
    wrmsr
    rdmsr
    print `on=`
    call put_hex32
    call cpuid_apic
    call newline
    print `id=`
    mov eax, APIC_REG(APIC_ID)
    call put_hex32
    print ` version=`
    mov eax, APIC_REG(APIC_VERSION)
    call put_hex32
    print ` tpr=`
    mov eax, APIC_REG(APIC_TPR)
    call put_hex32
    print ` ldr=`
    mov eax, APIC_REG(APIC_LDR)
    call put_hex32
    print ` dfr=`
    mov eax, APIC_REG(APIC_DFR)
    call put_hex32
    print ` svr=`
    mov eax, APIC_REG(APIC_SVR)
    call put_hex32
    call newline
    print `lvt=`
    mov esi, APIC_LVT_TIMER
.lvt:
    mov eax, [APIC_BASE + esi]
    call put_hex32
    mov al, ' '
    call putc
    add esi, 0x10
    cmp esi, APIC_LVT_ERR
    jbe .lvt
    print `icr hi=`
    mov eax, APIC_REG(APIC_ICR_HI)
    call put_hex32
    print ` timer init=`
    mov eax, APIC_REG(APIC_TIMER_INIT)
    call put_hex32
    print ` cur=`
    mov eax, APIC_REG(APIC_TIMER_CUR)
    call put_hex32
    print ` div=`
    mov eax, APIC_REG(APIC_TIMER_DIV)
    call put_hex32
    call newline

    ; --- it works again once software enables it
    mov APIC_REG(APIC_SVR), APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR
    mov APIC_REG(APIC_TIMER_DIV), TIMER_DIV_1
    mov APIC_REG(APIC_LVT_TIMER), TIMER_VECTOR
    mov APIC_REG(APIC_TIMER_INIT), 1000
    sti
.wait:
    hlt
    cmp dword [ticks], 0
    je .wait
    cli
    println `timer interrupt delivered after the re-enable`
    mov al, EXIT_SUCCESS
    jmp exit

; cpuid_apic: prints " cpuid.apic=" and CPUID.1:EDX bit 9.
cpuid_apic:
    push eax
    push ebx
    push ecx
    push edx
    mov eax, 1
    cpuid
    print ` cpuid.apic=`
    mov eax, edx
    shr eax, 9
    and eax, 1
    call put_dec
    pop edx
    pop ecx
    pop ebx
    pop eax
    ret

timer_handler:
    inc dword [ticks]
    mov APIC_REG(APIC_EOI), 0
    iret
