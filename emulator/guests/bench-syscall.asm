; bench-syscall - 1,000,000 SYSENTER/SYSEXIT round trips from ring 3.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/bench-syscall.txt.
;
; The workload for measuring the cost of fast system calls per mode
; (natively 0 monitor interventions per call; software VMMs must emulate
; both SYSENTER and SYSEXIT). The ring-3 process sets ECX (its ESP) and
; EDX (its resume EIP) once; the kernel entry leaves them untouched, so each
; round trip is exactly 5 retired instructions:
;     ring 3:  sysenter
;     ring 0:  inc dword [calls]      (the kernel's count of calls)
;              sysexit
;     ring 3:  dec ebp
;              jnz .call
;
; Exact retired-instruction count, from the first instruction at _start up
; to and including the OUT to port 0xF4:
;     total = 5 * ROUND_TRIPS + 1968
;           = 5 * 1,000,000 + 1968 = 5,001,968
; The constant (start-up, entering ring 3, INT 0x80 back, printing, exit)
; assumes that every poll of the UART's line status register finds the
; transmitter ready on its first read (ringside's UART always does; so did
; QEMU when it was measured with -singlestep -d exec,nochain). Counts are
; printed in hex so that the constant does not depend on ROUND_TRIPS
; (nasm -DROUND_TRIPS=n builds other sizes; the formula holds for n >= 1).

%include "lib/kernel.inc"
%include "lib/msr.inc"
%include "lib/user.inc"

%ifndef ROUND_TRIPS
%define ROUND_TRIPS 1000000
%endif

section .data
calls: dd 0

section .text
main:
    mov eax, sysenter_entry
    mov ebx, kernel_stack_top
    call sysenter_setup
    set_gate 0x80, int80_entry, GATE_INT_R3
    mov eax, user_main
    mov ebx, user_stack_top
    mov ecx, 0x002                  ; EFLAGS: IF = 0, no interrupts
    jmp enter_user

; SYSENTER: count the call and go straight back (ECX/EDX = the caller's
; ESP/EIP, untouched).
sysenter_entry:
    inc dword [calls]
    sysexit

; INT 0x80 when the process is done: EBX = round trips it made.
int80_entry:
    mov ax, KERNEL_DS
    mov ds, ax
    print `bench-syscall: round trips=`
    mov eax, ebx
    call put_hex32
    print ` kernel calls=`
    mov eax, [calls]
    call put_hex32
    call newline
    mov al, EXIT_SUCCESS
    cmp dword [calls], ROUND_TRIPS
    je .done
    mov al, EXIT_FAILURE
.done:
    jmp exit

section .user_text
user_main:
    mov ebp, ROUND_TRIPS
    mov ecx, esp                    ; SYSEXIT: ESP <- ECX
    mov edx, .back                  ; SYSEXIT: EIP <- EDX
.call:
    sysenter
.back:
    dec ebp
    jnz .call
    mov ebx, ROUND_TRIPS
    sub ebx, ebp                    ; round trips made (EBP counted down to 0)
    int 0x80

section .user_data
align 16
user_stack: times 256 db 0
user_stack_top:
