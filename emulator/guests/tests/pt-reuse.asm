; pt-reuse - a page table freed and filled as data, then used as a page table
; again, as a kernel's page allocator does (xv6's kalloc fills every freed page
; with a pattern).
;
; A page table maps four pages at WINDOW, which are read; its directory entry
; is then cleared (CR3 reloaded) and the page filled with 1024 dwords of
; pattern; then it is rebuilt to map the window onto four other frames and
; installed again, the window is read, one entry is changed (INVLPG) and read
; once more. The sums read are printed.
;
; Under a software monitor the page table is write-protected while it is one:
; each of the 1024 pattern writes traps until the monitor sees the flood
; (machine revision 3) and stops tracking the page; the walk through it after
; it is installed again tracks it again. The sums are the same in every mode.

%define PT_POOL_PAGES 2
%include "lib/kernel.inc"
%include "lib/paging.inc"

WINDOW equ 0x00800000
PAGES  equ 4

section .bss
alignb 4096
dir:       resb 4096
frames_a:  resb 4096 * PAGES
frames_b:  resb 4096 * PAGES

section .data
table:     dd 0                         ; the window's page table

section .text
main:
    println `pt-reuse: a page table freed, filled as data and used again`
    ; Frame contents: frames_a page k holds 0x100 + k, frames_b page k 0x200 + k (first dword).
    xor ecx, ecx
.fill:
    lea eax, [ecx + 0x100]
    mov ebx, ecx
    shl ebx, 12
    mov [frames_a + ebx], eax
    lea eax, [ecx + 0x200]
    mov [frames_b + ebx], eax
    inc ecx
    cmp ecx, PAGES
    jb .fill

    mov edi, dir
    xor ecx, ecx
    call map_kernel
    mov edx, frames_a
    call map_window
    mov eax, [dir + (WINDOW >> 22) * 4]
    and eax, 0xFFFFF000
    mov [table], eax
    mov edi, dir
    call paging_enable
    print `window on frames_a: `
    call sum_window
    call put_hex32
    call newline

    ; Free the table: out of the directory, then filled with a pattern as data.
    mov dword [dir + (WINDOW >> 22) * 4], 0
    mov eax, cr3
    mov cr3, eax
    mov edi, [table]
    mov ecx, 1024
.pattern:
    mov dword [edi], 0x01010101
    add edi, 4
    dec ecx
    jnz .pattern

    ; Used as a page table again: zeroed, the window onto frames_b, installed.
    mov edi, [table]
    mov ecx, 1024
.zero:
    mov dword [edi], 0
    add edi, 4
    dec ecx
    jnz .zero
    mov eax, [table]
    or eax, PDE_FLAGS
    mov [dir + (WINDOW >> 22) * 4], eax
    mov edi, dir
    mov edx, frames_b
    call map_window
    mov eax, cr3
    mov cr3, eax
    print `window on frames_b: `
    call sum_window
    call put_hex32
    call newline

    ; One live entry changed: window page 0 onto frames_a page 3.
    mov edi, dir
    mov eax, WINDOW
    mov edx, frames_a + 3 * 4096
    mov ecx, PTE_W
    call map_page
    invlpg [WINDOW]
    print `page 0 remapped: `
    call sum_window
    call put_hex32
    call newline
    mov al, EXIT_SUCCESS
    ret

; map_window: EDI = directory, EDX = first frame: WINDOW's PAGES pages onto it.
map_window:
    push eax
    push ecx
    push edx
    mov eax, WINDOW
    mov ecx, PTE_W
.page:
    call map_page
    add eax, 4096
    add edx, 4096
    cmp eax, WINDOW + PAGES * 4096
    jb .page
    pop edx
    pop ecx
    pop eax
    ret

; sum_window: EAX = the sum of the first dword of each window page.
sum_window:
    push ecx
    xor eax, eax
    xor ecx, ecx
.page:
    add eax, [WINDOW + ecx]
    add ecx, 4096
    cmp ecx, PAGES * 4096
    jb .page
    pop ecx
    ret
