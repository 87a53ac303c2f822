; interrupts - the interrupt flag around an APIC timer interrupt.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/interrupts.txt.
;
; Seed, "Interrupt virtualization": IF in EFLAGS masks external interrupts.
; A deprivileged guest kernel cannot own IF: CLI/STI fault to the VMM, but
; POPF at CPL > IOPL silently leaves IF unchanged and PUSHF shows the real IF.
; So the classic "pushf; cli; ...; popf" save/restore of an OS goes wrong
; without any trap, and "popf with IF = 0" does not mask anything.
;
; Steps (each prints what PUSHF reads back, nothing timing dependent):
;   1. CLI, PUSHF: if = 0.     STI, PUSHF: if = 1.
;   2. One-shot APIC timer (vector 0x20); wait with STI;HLT until the handler
;      has run; print that it fired.
;   3. With IF = 0, start the timer again and poll the APIC IRR until the
;      interrupt is pending: it is held, not delivered; STI delivers it.
;   4. PUSHF; CLI; PUSHF (0); POPF restores IF; PUSHF: "if after popf: 1".
;   5. POPF of a value with IF = 0; PUSHF: "if after popf of if=0: 0".
;   6. Mask the timer.
; Natively (and under VT-x) the output is as in expected/; at ring 1 or 3
; with IOPL 0, step 5 shows 1 (POPF could not clear IF).

%include "lib/kernel.inc"
%include "lib/apic.inc"

TIMER_VECTOR equ 0x20
EFLAGS_IF    equ 0x200

section .data
timer_fired: dd 0                   ; set by the handler (how many: not printed)

section .text
main:
    println `interrupts: IF, PUSHF/POPF and the APIC timer`
    set_gate TIMER_VECTOR, timer_handler, GATE_INT_R0
    call apic_enable

    ; --- 1. CLI and STI, read back with PUSHF
    cli
    print `if after cli: `
    call print_if
    sti
    print `if after sti: `
    call print_if

    ; --- 2. one timer interrupt, waited for with HLT
    cli
    mov dword [timer_fired], 0
    mov eax, TIMER_VECTOR           ; one-shot
    call apic_timer_start
.wait:
    cmp dword [timer_fired], 0
    jne .fired
    sti                             ; STI's one-instruction shadow: the
    hlt                             ; interrupt cannot slip in before HLT
    cli
    jmp .wait
.fired:
    sti
    println `timer interrupt: delivered (vector 0x20), handler ran`

    ; --- 3. with IF = 0 the interrupt waits in the IRR; STI lets it in
    cli
    mov dword [timer_fired], 0
    mov eax, TIMER_VECTOR
    call apic_timer_start
.pending:
    test APIC_REG(APIC_IRR + 0x10), 1 ; IRR bit 32 = vector 0x20
    jz .pending
    print `with if=0: timer pending in irr, handler ran: `
    cmp dword [timer_fired], 0
    call print_yes_no_ne
    sti
.deliver:
    cmp dword [timer_fired], 0
    je .deliver
    println `after sti: delivered`

    ; --- 4. save IF, CLI, restore with POPF (what every OS does)
    pushfd                          ; IF = 1 saved
    cli
    print `if inside pushf/cli section: `
    call print_if
    popfd                           ; restore IF = 1
    print `if after popf: `
    call print_if

    ; --- 5. POPF of an image with IF = 0 must mask interrupts
    pushfd
    and dword [esp], ~EFLAGS_IF
    popfd
    print `if after popf of if=0: `
    call print_if
    sti

    ; --- 6. done: mask the timer
    cli
    call apic_timer_stop
    println `timer masked`
    mov al, EXIT_SUCCESS
    ret

; print_if: "0\n" or "1\n" from the IF bit that PUSHF stores.
print_if:
    push eax
    pushfd
    pop eax
    shr eax, 9
    and eax, 1
    call put_dec
    call newline
    pop eax
    ret

; print_yes_no_ne: "yes\n" if the flags say not-equal, else "no\n".
print_yes_no_ne:
    jne .yes
    println `no`
    ret
.yes:
    println `yes`
    ret

; The APIC timer handler: note the interrupt, EOI.
timer_handler:
    inc dword [timer_fired]
    call apic_eoi
    iret
