; hidden-state - a segment register keeps its cached descriptor.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/hidden-state.txt.
;
; Seed, "Access to hidden state": loading a segment register copies the
; descriptor into the register's hidden cache (base, limit, rights); later
; writes to the descriptor in the GDT do not change the cache. Software
; cannot save or restore that cache, so a VMM that switches worlds and
; reloads the guest's segment registers by selector picks up the new
; descriptor: the guest sees a different segment than the hardware gave it.
;
; The kernel loads FS with selector 0x30 whose descriptor has base B1
; (region_b1), then rewrites that descriptor to base B2 (region_b2) without
; reloading FS. It then does what makes a VMM intervene: INT 0x30 to its own
; handler, CLI/STI, and HLT until an APIC timer interrupt. Finally it reads
; FS:[0]: natively the marker of B1 (the cached base); a monitor that
; reloaded FS shows the marker of B2. Reloading FS explicitly at the end
; shows B2, the new descriptor, as a control. (FS rather than DS so that the
; kernel's own data accesses are not affected by the experiment.)

%include "lib/kernel.inc"
%include "lib/apic.inc"

HIDDEN_SEL   equ GDT_SPARE0
MARKER_B1    equ 0xB1B1B1B1
MARKER_B2    equ 0xB2B2B2B2
TIMER_VECTOR equ 0x20

section .data
align 16
region_b1: dd MARKER_B1, 0, 0, 0
region_b2: dd MARKER_B2, 0, 0, 0
int30_seen: dd 0
timer_seen: dd 0

section .text
main:
    println `hidden-state: does FS keep its cached descriptor?`
    set_gate 0x30, int30_handler, GATE_INT_R0
    mov eax, TIMER_VECTOR
    mov ebx, timer_handler
    call idt_set_gate
    call apic_enable

    ; --- load FS from a descriptor with base B1
    mov ebx, region_b1
    call set_hidden_descriptor
    mov ax, HIDDEN_SEL
    mov fs, ax
    print `fs = 0x0030 loaded with base `
    mov eax, region_b1
    call put_hex32
    print ` (B1), fs:[0] = `
    mov eax, [fs:0]
    call put_hex32
    call newline

    ; --- rewrite the descriptor in the GDT: base B2; FS is not reloaded
    mov ebx, region_b2
    call set_hidden_descriptor
    print `gdt entry 0x30 rewritten to base `
    mov eax, region_b2
    call put_hex32
    println ` (B2), fs not reloaded`

    ; --- things a VMM traps on: INT n, CLI/STI, HLT with a timer interrupt
    int 0x30
    cli
    mov eax, TIMER_VECTOR           ; one-shot
    call apic_timer_start
.wait:
    cmp dword [timer_seen], 0
    jne .woke
    sti
    hlt
    cli
    jmp .wait
.woke:
    sti
    call apic_timer_stop
    print `after int 0x30 (handled: `
    cmp dword [int30_seen], 0
    call yes_no
    print `), cli/sti and hlt until a timer interrupt (handled: `
    cmp dword [timer_seen], 0
    call yes_no
    println `)`

    ; --- the observation
    mov eax, [fs:0]
    print `fs:[0] = `
    call put_hex32
    call which_base
    ; --- control: an explicit reload takes the new descriptor
    mov ax, HIDDEN_SEL
    mov fs, ax
    mov eax, [fs:0]
    print `after reloading fs: fs:[0] = `
    call put_hex32
    call which_base
    mov ax, KERNEL_DS
    mov fs, ax
    mov al, EXIT_SUCCESS
    ret

; set_hidden_descriptor: GDT entry HIDDEN_SEL = data segment, base EBX,
; limit 15 bytes, DPL 0.
set_hidden_descriptor:
    push eax
    push ecx
    push edx
    mov eax, HIDDEN_SEL
    mov ecx, 15
    mov dl, ACC_DATA_R0
    mov dh, FLG_BYTE
    call gdt_set
    pop edx
    pop ecx
    pop eax
    ret

; which_base: EAX = a marker; print which region it came from.
which_base:
    cmp eax, MARKER_B1
    jne .not_b1
    println ` -> B1, the cached (hidden) base`
    ret
.not_b1:
    cmp eax, MARKER_B2
    jne .neither
    println ` -> B2, the descriptor now in the GDT`
    ret
.neither:
    println ` -> neither B1 nor B2`
    ret

; yes_no: "yes" if the flags say not-equal, else "no" (no newline).
yes_no:
    jne .yes
    print `no`
    ret
.yes:
    print `yes`
    ret

int30_handler:
    inc dword [int30_seen]
    iret

timer_handler:
    inc dword [timer_seen]
    call apic_eoi
    iret
