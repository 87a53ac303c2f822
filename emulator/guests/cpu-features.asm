; cpu-features - the later processor features kernels probe, exercised.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/cpu-features.txt.
; QEMU options: -cpu max
;
; Checks CPUID for each feature, then uses it as the SDM describes:
;   - the NOP encodings gcc -m32 -O2 emits (0F 1F /0 long NOPs with 66 and
;     CS prefixes, LEA ESI,[ESI+0], XCHG AX,AX, PAUSE, ENDBR32, REP RET);
;   - RDTSCP, reading IA32_TSC_AUX (RDPID is pinned by SDM vectors in the
;     unit tests: QEMU 7.2's TCG does not implement it);
;   - IA32_PAT at reset and as written, and a page mapped with the PAT bit
;     of its page-table entry set (memory types have no visible effect);
;   - IA32_MISC_ENABLE bit 0 (fast strings) set at reset;
;   - SMEP: an instruction fetch from a user page at CPL 0 raises #PF with
;     error code 0x11 (present, instruction fetch), and with SMEP on every
;     fetch fault reports I/D (0x10 for a page that is not mapped);
;   - SMAP: a CPL-0 read or write of a user page with EFLAGS.AC clear raises
;     #PF (0x01 read, 0x03 write); STAC (or POPF setting AC) allows it, CLAC
;     forbids it again;
;   - at CPL 3: STAC and CLAC raise #UD, RDPMC without CR4.PCE raises
;     #GP(0), RDTSCP works.
; The values printed are the SDM's; QEMU (-cpu max) prints the same.

%include "lib/kernel.inc"
%include "lib/paging.inc"
%include "lib/user.inc"

CR4_SMEP       equ 1 << 20
CR4_SMAP       equ 1 << 21
EFLAGS_AC      equ 1 << 18
IA32_TSC_AUX   equ 0xC0000103
IA32_PAT       equ 0x277
IA32_MISC_ENABLE equ 0x1A0
PAT_LINEAR     equ 0x00800000      ; a page mapped with PTE.PAT set
PTE_PAT        equ 0x080
UNMAPPED       equ 0x00700000      ; no page table covers it
AUX_VALUE      equ 0x1234ABCD

section .data
align 4
fault_vector: dd -1                 ; the last fault caught (-1: none)
fault_code: dd 0
fault_cr2: dd 0
fault_resume: dd 0                  ; where the handler resumes
failures: dd 0
pat_target: dd 0x9A7B17E5

section .bss
alignb 4096
page_dir: resb 4096

; try INSN: runs one instruction; a #UD, #GP or #PF resumes after it.
%macro try 1+
    mov dword [fault_vector], -1
    mov dword [fault_resume], %%next
    %1
%%next:
%endmacro

; expect VECTOR, CODE: prints the fault caught (or none) and counts a mismatch.
%macro expect 2
    mov eax, %1
    mov ebx, %2
    call expect_fault
%endmacro

section .text
main:
    println `cpu-features: later processor features, as the SDM describes them`
    set_gate 6, trap_ud, GATE_INT_R0
    mov eax, 13
    mov ebx, trap_gp
    call idt_set_gate
    mov eax, 14
    mov ebx, trap_pf
    call idt_set_gate
    set_gate 0x30, user_done, GATE_INT_R3

    ; --- CPUID
    mov eax, 1
    cpuid
    print `cpuid.1:edx pat=`
    bt edx, 16
    call put_bit
    print ` apic=`
    bt edx, 9
    call put_bit
    mov eax, 7
    xor ecx, ecx
    cpuid
    print ` leaf 7: smep=`
    bt ebx, 7
    call put_bit
    print ` smap=`
    bt ebx, 20
    call put_bit
    print ` umip=`
    bt ecx, 2
    call put_bit
    mov eax, 0x80000001
    cpuid
    print ` ext: rdtscp=`
    bt edx, 27
    call put_bit
    call newline

    ; --- NOPs gcc -m32 -O2 emits (alignment padding, CET landing pads)
    mov eax, 0x600D
    nop
    xchg ax, ax                                      ; 66 90
    db 0x0F, 0x1F, 0x00                              ; nopl (eax)
    db 0x0F, 0x1F, 0x40, 0x00                        ; nopl 0(eax)
    db 0x0F, 0x1F, 0x44, 0x00, 0x00                  ; nopl 0(eax,eax,1)
    db 0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00            ; nopw 0(eax,eax,1)
    db 0x0F, 0x1F, 0x80, 0, 0, 0, 0                  ; nopl 0L(eax)
    db 0x0F, 0x1F, 0x84, 0x00, 0, 0, 0, 0            ; nopl 0L(eax,eax,1)
    db 0x66, 0x0F, 0x1F, 0x84, 0x00, 0, 0, 0, 0      ; nopw 0L(eax,eax,1)
    db 0x66, 0x2E, 0x0F, 0x1F, 0x84, 0x00, 0, 0, 0, 0 ; cs nopw 0L(eax,eax,1)
    db 0x8D, 0x76, 0x00                              ; lea esi,[esi+0]
    db 0x8D, 0x74, 0x26, 0x00                        ; lea esi,[esi+eiz*1+0]
    db 0x8D, 0xB4, 0x26, 0, 0, 0, 0                  ; lea esi,[esi+eiz*1+0L]
    db 0x8D, 0xBC, 0x27, 0, 0, 0, 0                  ; lea edi,[edi+eiz*1+0L]
    db 0xF3, 0x90                                    ; pause
    db 0xF3, 0x0F, 0x1E, 0xFB                        ; endbr32
    call rep_ret
    print `nops: eax=`
    call put_hex32
    call newline

    ; --- RDTSCP, RDPID, IA32_TSC_AUX
    mov ecx, IA32_TSC_AUX
    mov eax, AUX_VALUE
    xor edx, edx
    wrmsr
    rdtsc
    mov esi, edx
    mov edi, eax
    xor ecx, ecx
    rdtscp
    print `rdtscp: ecx=`
    mov ebx, eax
    mov eax, ecx
    call put_hex32
    sub ebx, edi
    sbb edx, esi
    print ` after rdtsc=`
    test edx, edx
    setns al
    movzx eax, al
    call put_bit_eax
    call newline

    ; --- IA32_PAT, IA32_MISC_ENABLE
    mov ecx, IA32_PAT
    rdmsr
    print `pat at reset: `
    call put_edx_eax
    mov ecx, IA32_PAT
    mov edx, 0x00070106             ; PA5 = WC
    mov eax, 0x00070406
    wrmsr
    rdmsr
    print `, written: `
    call put_edx_eax
    mov ecx, IA32_MISC_ENABLE
    rdmsr
    print `, misc_enable fast strings=`
    bt eax, 0
    call put_bit
    call newline

    ; --- paging, a PTE with the PAT bit
    mov edi, page_dir
    xor ecx, ecx
    call map_kernel
    mov eax, PAT_LINEAR
    mov edx, pat_target
    and edx, ~0xfff
    mov ecx, PTE_W | PTE_PAT
    call map_page
    call paging_enable
    mov eax, pat_target
    and eax, 0xfff
    mov eax, [PAT_LINEAR + eax]
    print `pte.pat page reads `
    call put_hex32
    call newline

    ; --- SMEP
    mov eax, cr4
    or eax, CR4_SMEP
    mov cr4, eax
    print `smep: call to a user page at cpl 0: `
    try call user_ret
    expect 14, 0x11
    print `smep: call to an unmapped page at cpl 0: `
    try call UNMAPPED
    expect 14, 0x10
    mov eax, cr4
    and eax, ~CR4_SMEP
    mov cr4, eax
    print `smep off: `
    try call user_ret
    expect -1, 0

    ; --- SMAP
    mov eax, cr4
    or eax, CR4_SMAP
    mov cr4, eax
    print `smap: read of a user page, ac=0: `
    try mov eax, [user_word]
    expect 14, 0x01
    print `smap: write, ac=0: `
    try mov dword [user_word], 1
    expect 14, 0x03
    stac
    print `smap: read after stac: `
    try mov eax, [user_word]
    expect -1, 0
    clac
    print `smap: read after clac: `
    try mov eax, [user_word]
    expect 14, 0x01
    pushfd
    or dword [esp], EFLAGS_AC
    popfd
    print `smap: write with ac=1 (popf): `
    try mov dword [user_word], 2
    expect -1, 0
    clac
    mov eax, cr4
    and eax, ~CR4_SMAP
    mov cr4, eax

    ; --- CPL 3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002
    jmp enter_user

; INT 0x30: the user process is done; EAX holds its RDTSCP ECX.
user_done:
    mov cx, KERNEL_DS
    mov ds, cx
    mov es, cx
    print `cpl 3: rdtscp ecx=`
    call put_hex32
    call newline
    print `cpl 3: stac: `
    mov eax, [user_faults]
    mov ebx, [user_faults + 4]
    call expect_fault_eax
    print `cpl 3: clac: `
    mov eax, [user_faults + 8]
    mov ebx, [user_faults + 12]
    call expect_fault_eax
    print `cpl 3: rdpmc without cr4.pce: `
    mov eax, [user_faults + 16]
    mov ebx, [user_faults + 20]
    call expect_fault_eax
    mov eax, [failures]
    test eax, eax
    jnz .bad
    println `verdict: every feature behaves as the SDM describes`
    mov al, EXIT_SUCCESS
    jmp exit
.bad:
    print `verdict: `
    call put_dec
    println ` checks differ from the SDM`
    mov al, EXIT_FAILURE
    jmp exit

; expect_fault: EAX = expected vector (-1 none), EBX = expected error code,
; against the last fault caught.
expect_fault:
    push eax
    push ebx
    mov eax, [fault_vector]
    mov ebx, [fault_code]
    mov [last_code], ebx
    pop ebx
    pop ecx                         ; expected vector
    xchg eax, ecx                   ; EAX expected, ECX caught
    jmp compare_fault
; expect_fault_eax: EAX = caught vector, EBX = caught code; expects the
; vector and code in the user_expect table entry that follows.
expect_fault_eax:
    mov ecx, eax
    mov [last_code], ebx
    mov eax, [user_expect_at]
    mov ebx, [user_expect + eax * 8 + 4]
    push dword [user_expect + eax * 8]
    inc dword [user_expect_at]
    pop eax
; compare_fault: EAX expected vector, EBX expected code, ECX caught vector, [last_code] its code.
compare_fault:
    push eax
    push ebx
    cmp ecx, -1
    jne .caught
    print `no fault`
    jmp .check
.caught:
    print `vector `
    mov eax, ecx
    call put_dec
    print ` error `
    mov eax, [last_code]
    call put_hex16
.check:
    pop ebx
    pop eax
    cmp eax, ecx
    jne .wrong
    cmp ecx, -1
    je .ok
    cmp ebx, [last_code]
    jne .wrong
.ok:
    call newline
    ret
.wrong:
    println ` (NOT as the SDM says)`
    inc dword [failures]
    ret

put_bit:                            ; CF -> "1" or "0"
    setc al
    movzx eax, al
put_bit_eax:
    add al, '0'
    call putc
    ret

put_edx_eax:
    push eax
    mov eax, edx
    call put_hex32
    pop eax
    push eax
    mov ecx, 8
    call put_hex_digits
    pop eax
    ret

; put_hex_digits: EAX, ECX digits, no "0x".
put_hex_digits:
    push ebx
    push edx
.next:
    rol eax, 4
    mov ebx, eax
    and ebx, 0xf
    push eax
    mov al, [hex_digits + ebx]
    call putc
    pop eax
    dec ecx
    jnz .next
    pop edx
    pop ebx
    ret

rep_ret:
    db 0xF3, 0xC3                   ; rep ret

; Fault handlers: note vector, error code and CR2, resume at [fault_resume].
trap_ud:
    push dword 0
    push dword 6
    jmp trap_common
trap_gp:
    push dword 13
    jmp trap_common
trap_pf:
    push dword 14
trap_common:
    push eax
    test dword [esp + 16], 3        ; CS of the faulting instruction
    jnz .user
    mov eax, [esp + 4]
    mov [fault_vector], eax
    mov eax, [esp + 8]
    mov [fault_code], eax
    mov eax, cr2
    mov [fault_cr2], eax
    mov eax, [fault_resume]
    mov [esp + 12], eax
    pop eax
    add esp, 8
    iret
.user:                              ; from the ring-3 process: the next entry of user_resumes
    push ebx
    mov ebx, [user_fault_n]
    mov eax, [esp + 8]
    mov [user_faults + ebx * 8], eax
    mov eax, [esp + 12]
    mov [user_faults + ebx * 8 + 4], eax
    mov eax, [user_resumes + ebx * 4]
    mov [esp + 16], eax
    inc dword [user_fault_n]
    pop ebx
    pop eax
    add esp, 8
    iret

section .data
last_code: dd 0
user_expect_at: dd 0
user_expect: dd 6, 0, 6, 0, 13, 0   ; STAC #UD, CLAC #UD, RDPMC #GP(0)
user_faults: times 6 dd -1          ; vector, error code of each ring-3 fault
user_fault_n: dd 0
user_resumes: dd user_after_stac, user_after_clac, user_after_rdpmc

; ---------------------------------------------------------------------------
section .user_text
user_ret:
    ret

; The ring-3 process: STAC, CLAC, RDPMC fault (the handler resumes at the
; next user_resumes entry); RDTSCP works.
user_main:
    stac
user_after_stac:
    clac
user_after_clac:
    xor ecx, ecx
    rdpmc
user_after_rdpmc:
    rdtscp
    mov eax, ecx
    int 0x30

section .user_data
align 4
user_word: dd 0
align 16
user_stack: times 1024 db 0
user_stack_top:
