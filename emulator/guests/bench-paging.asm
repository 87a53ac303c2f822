; bench-paging - page-table-heavy work: address-space switches and remapping.
;
; Expected on QEMU: exit code 1 (EXIT_SUCCESS); serial output in
; expected/bench-paging.txt.
;
; The workload that shows what shadow page tables cost (first-generation
; VT-x VMMs and the software monitors): two address spaces (page directories
; A and B) map the same 64 KiB window at 0x00800000 onto different physical
; pages. Each of ROUNDS rounds loads CR3 = A, writes one dword in each of the
; window's 16 pages, loads CR3 = B and does the same, then remaps one page of
; A's window onto B's page and back (two PTE writes, two INVLPGs), as a kernel
; that switches processes and edits page tables would. Natively each CR3 load
; only empties the TLB; under a VMM without EPT each one drops the shadow
; tables, and the next touch of every page is a page-fault VM exit.
;
; The sums of both windows are printed at the end (in hex, fixed width).

%define PT_POOL_PAGES 6
%include "lib/kernel.inc"
%include "lib/paging.inc"

%ifndef ROUNDS
%define ROUNDS 2000
%endif

WINDOW      equ 0x00800000
PAGES       equ 16

section .bss
alignb 4096
dir_a:     resb 4096
dir_b:     resb 4096
frames_a:  resb 4096 * PAGES
frames_b:  resb 4096 * PAGES

section .text
main:
    println `bench-paging: two address spaces, 16 pages each, CR3 switches and INVLPG remaps`
    ; Both directories map the kernel (identity, 0-4 MiB) and their own window.
    mov edi, dir_a
    xor ecx, ecx
    call map_kernel
    mov edx, frames_a
    call map_window
    mov edi, dir_b
    xor ecx, ecx
    call map_kernel
    mov edx, frames_b
    call map_window
    mov edi, dir_a
    call paging_enable

    mov ebp, ROUNDS
.round:
    mov eax, dir_a
    mov cr3, eax
    mov ebx, 1
    call touch_window
    mov eax, dir_b
    mov cr3, eax
    mov ebx, 3
    call touch_window
    ; In A: the window's page (round mod 16) briefly maps B's frame, then its own again.
    mov eax, dir_a
    mov cr3, eax
    mov eax, ebp
    and eax, PAGES - 1
    shl eax, 12
    add eax, WINDOW
    lea edx, [eax - WINDOW + frames_b]
    mov ecx, PTE_W
    mov edi, dir_a
    call map_page
    invlpg [eax]
    add dword [eax + 4], 1           ; lands in B's frame
    lea edx, [eax - WINDOW + frames_a]
    mov ecx, PTE_W
    call map_page
    invlpg [eax]
    dec ebp
    jnz .round

    print `rounds=`
    mov eax, ROUNDS
    call put_hex32
    print ` sum A=`
    mov esi, frames_a
    call sum_frames
    call put_hex32
    print ` sum B=`
    mov esi, frames_b
    call sum_frames
    call put_hex32
    call newline
    mov al, EXIT_SUCCESS
    ret

; map_window: EDI = page directory, EDX = first of PAGES frames: WINDOW -> EDX, writable.
map_window:
    mov eax, WINDOW
    mov ebx, PAGES
.next:
    mov ecx, PTE_W
    call map_page
    add eax, 4096
    add edx, 4096
    dec ebx
    jnz .next
    ret

; touch_window: adds EBX to the first dword of each page of the window.
touch_window:
    mov esi, WINDOW
    mov ecx, PAGES
.next:
    add [esi], ebx
    add esi, 4096
    dec ecx
    jnz .next
    ret

; sum_frames: EAX = the sum of the first two dwords of each of PAGES frames at ESI.
sum_frames:
    xor eax, eax
    mov ecx, PAGES
.next:
    add eax, [esi]
    add eax, [esi + 4]
    add esi, 4096
    dec ecx
    jnz .next
    ret
