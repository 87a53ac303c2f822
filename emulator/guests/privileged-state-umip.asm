; privileged-state-umip - privileged-state with CR4.UMIP set first.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/privileged-state-umip.txt.
; QEMU options: -cpu max
;
; UMIP (User-Mode Instruction Prevention, SDM vol. 3 section 2.5) is how
; Intel later closed the seed's "non-faulting access to privileged state":
; with CR4.UMIP set, SGDT, SIDT, SLDT, STR and SMSW raise #GP(0) at CPL > 0.
; This is the privileged-state guest (the same source, assembled with UMIP
; defined) with UMIP enabled before it reads anything back: at ring 0 every
; store gives the value the kernel loaded; from its ring-3 process every
; store raises #GP(0) (a handler notes the error code and resumes after the
; instruction). A software VMM that runs the kernel deprivileged sets UMIP in
; the real CR4 while the guest's is set: the kernel's stores then trap, and
; the monitor emulates them with the guest's own values, so the output is
; the native one under sw-013 and sw-033 as well.

%define UMIP
%include "privileged-state.asm"

CR4_UMIP       equ 1 << 11
CPUID7_UMIP    equ 1 << 2          ; CPUID.(EAX=7,ECX=0):ECX
STORES         equ 8               ; stores the ring-3 process tries

section .data
align 4
gp_codes: times STORES dd -1       ; #GP error code per store (-1: no fault)

section .text
; umip_on: checks CPUID for UMIP, sets CR4.UMIP, installs the #GP handler.
umip_on:
    mov eax, 7
    xor ecx, ecx
    cpuid
    test ecx, CPUID7_UMIP
    jnz .have
    println `CPUID.(EAX=7,ECX=0):ECX.UMIP is clear: nothing to show`
    mov al, EXIT_FAILURE
    jmp exit
.have:
    mov eax, cr4
    or eax, CR4_UMIP
    mov cr4, eax
    set_gate 13, umip_gp, GATE_INT_R0
    mov eax, cr4
    print `cr4=`
    call put_hex32
    println ` (UMIP set): at cpl > 0 the five stores raise #GP(0)`
    ret

; #GP from the ring-3 process: note the error code for the store it tried
; ([user_slot]) and resume at [user_resume]. A #GP from ring 0 is a bug: the
; default handler reports it.
umip_gp:
    test dword [esp + 8], 3         ; CS of the faulting instruction
    jz exception_13
    push eax
    push ebx
    mov eax, [user_slot]
    mov ebx, [esp + 8]              ; error code
    mov [gp_codes + eax * 4], ebx
    mov eax, [user_resume]
    mov [esp + 12], eax             ; EIP of the frame
    pop ebx
    pop eax
    add esp, 4                      ; drop the error code
    iret

; report_umip: one line per store the ring-3 process tried.
%macro show 2
    print %1
    mov eax, [gp_codes + %2 * 4]
    call show_code
%endmacro
report_umip:
    show `  sgdt:     `, 0
    show `  sidt:     `, 1
    show `  sldt reg: `, 2
    show `  sldt mem: `, 3
    show `  str reg:  `, 4
    show `  str mem:  `, 5
    show `  smsw reg: `, 6
    show `  smsw mem: `, 7
    ret

show_code:
    cmp eax, -1
    je .none
    print `#GP(`
    call put_hex16
    test eax, eax
    jnz .bad
    println `)`
    ret
.bad:
    println `) (NOT the #GP(0) UMIP raises)`
    inc dword [mismatches]
    ret
.none:
    println `no fault (NOT what UMIP requires)`
    inc dword [mismatches]
    ret

; The ring-3 process under UMIP: each store names its slot and where to
; resume if it faults.
section .user_text
%macro try 2+
    mov dword [user_slot], %1
    mov dword [user_resume], %%next
    %2
%%next:
%endmacro
user_main_umip:
    mov edi, user_buf
    try 0, sgdt [edi + SB_GDT]
    try 1, sidt [edi + SB_IDT]
    try 2, sldt eax
    try 3, sldt [edi + SB_SLDT_MEM]
    try 4, str eax
    try 5, str [edi + SB_STR_MEM]
    try 6, smsw eax
    try 7, smsw [edi + SB_SMSW_MEM]
    int 0x30

section .user_data
align 4
user_slot: dd 0
user_resume: dd 0
