/*
 * Generates instruction vectors by running each instruction on the host x86 processor.
 *
 * Register-to-register forms of the integer instructions behave the same in 64-bit mode as in
 * 32-bit protected mode (without REX prefixes), so the host is an independent oracle for
 * results and for every flag the Intel SDM defines. Flags the SDM leaves undefined are masked
 * out per case (the host may be an AMD or an Intel part; they differ only there).
 *
 * Output lines: BYTES EAX ECX EDX EBX EBP ESI EDI FLAGS : EAX ECX EDX EBX EBP ESI EDI FLAGS MASK
 * (hex; FLAGS are the arithmetic flags, MASK the defined ones). Build and run with
 * `npm run vectors` (needs gcc on an x86-64 host).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

struct state { uint32_t r[8]; uint64_t fin; uint64_t fout; };

#define CF 0x001
#define PF 0x004
#define AF 0x010
#define ZF 0x040
#define SF 0x080
#define OF 0x800
#define ARITH (CF | PF | AF | ZF | SF | OF)

static uint8_t *code;
static uint32_t rng = 0x12345678;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }

/* Interesting operand values: edges more often than uniform noise. */
static uint32_t value(void) {
  static const uint32_t edge[] = {0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                  0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x0f, 0x10, 0x99, 0x9a};
  uint32_t k = rnd() % 4;
  if (k == 0) return edge[rnd() % (sizeof edge / sizeof edge[0])];
  if (k == 1) return rnd() & 0xff;
  return rnd();
}

static void run(const uint8_t *insn, int len, struct state *s) {
  static const uint8_t pre[] = {
    0x53, 0x55,             /* push rbx; push rbp */
    0x49, 0x89, 0xfb,       /* mov r11, rdi */
    0x41, 0x8b, 0x03, 0x41, 0x8b, 0x4b, 0x04, 0x41, 0x8b, 0x53, 0x08, 0x41, 0x8b, 0x5b, 0x0c,
    0x41, 0x8b, 0x6b, 0x14, 0x41, 0x8b, 0x73, 0x18, 0x41, 0x8b, 0x7b, 0x1c,
    0x41, 0xff, 0x73, 0x20, /* push qword [r11+32] */
    0x9d,                   /* popfq */
  };
  static const uint8_t post[] = {
    0x9c,                   /* pushfq */
    0x41, 0x8f, 0x43, 0x28, /* pop qword [r11+40] */
    0x41, 0x89, 0x03, 0x41, 0x89, 0x4b, 0x04, 0x41, 0x89, 0x53, 0x08, 0x41, 0x89, 0x5b, 0x0c,
    0x41, 0x89, 0x6b, 0x14, 0x41, 0x89, 0x73, 0x18, 0x41, 0x89, 0x7b, 0x1c,
    0x5d, 0x5b, 0xc3,       /* pop rbp; pop rbx; ret */
  };
  int n = 0;
  memcpy(code + n, pre, sizeof pre); n += sizeof pre;
  memcpy(code + n, insn, len); n += len;
  memcpy(code + n, post, sizeof post); n += sizeof post;
  ((void (*)(struct state *))code)(s);
}

static void emit(const uint8_t *insn, int len, uint32_t mask) {
  struct state s;
  for (int r = 0; r < 8; r++) s.r[r] = value();
  s.r[4] = 0;
  s.fin = (rnd() & ARITH) | 2;
  struct state in = s;
  run(insn, len, &s);
  for (int k = 0; k < len; k++) printf("%02x", insn[k]);
  for (int r = 0; r < 8; r++) if (r != 4) printf(" %08x", in.r[r]);
  printf(" %03x :", (unsigned)(in.fin & ARITH));
  for (int r = 0; r < 8; r++) if (r != 4) printf(" %08x", s.r[r]);
  printf(" %03x %03x\n", (unsigned)(s.fout & ARITH), mask);
}

/* A ModRM byte for register operands, avoiding ESP/SP for 16/32-bit operands. */
static uint8_t modrm_rr(int byteregs) {
  int reg, rm;
  do { reg = rnd() % 8; rm = rnd() % 8; } while (!byteregs && (reg == 4 || rm == 4));
  return 0xc0 | (reg << 3) | rm;
}
static uint8_t modrm_digit(int digit, int byteregs) {
  int rm;
  do { rm = rnd() % 8; } while (!byteregs && rm == 4);
  return 0xc0 | (digit << 3) | rm;
}

int main(void) {
  code = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  uint8_t b[8];
  const int reps = 24;
  for (int op = 0; op < 8; op++) {
    uint32_t m = (op == 1 || op == 4 || op == 6) ? ARITH & ~AF : ARITH; /* logic ops: AF undefined */
    for (int k = 0; k < reps; k++) {
      b[0] = op * 8 + 1; b[1] = modrm_rr(0); emit(b, 2, m);                    /* Ev,Gv 32 */
      b[0] = 0x66; b[1] = op * 8 + 1; b[2] = modrm_rr(0); emit(b, 3, m);      /* Ev,Gv 16 */
      b[0] = op * 8 + 0; b[1] = modrm_rr(1); emit(b, 2, m);                    /* Eb,Gb */
      b[0] = op * 8 + 3; b[1] = modrm_rr(0); emit(b, 2, m);                    /* Gv,Ev */
      b[0] = op * 8 + 2; b[1] = modrm_rr(1); emit(b, 2, m);                    /* Gb,Eb */
      b[0] = 0x83; b[1] = modrm_digit(op, 0); b[2] = value(); emit(b, 3, m);  /* Ev,Ib */
      b[0] = 0x80; b[1] = modrm_digit(op, 1); b[2] = value(); emit(b, 3, m);  /* Eb,Ib */
      b[0] = 0x81; b[1] = modrm_digit(op, 0); uint32_t v = value(); memcpy(b + 2, &v, 4); emit(b, 6, m);
      b[0] = op * 8 + 4; b[1] = value(); emit(b, 2, m);                        /* AL,Ib */
      b[0] = 0x66; b[1] = op * 8 + 5; b[2] = value(); b[3] = value(); emit(b, 4, m);
    }
  }
  for (int k = 0; k < reps * 2; k++) {
    b[0] = 0x85; b[1] = modrm_rr(0); emit(b, 2, ARITH & ~AF);                  /* TEST */
    b[0] = 0x84; b[1] = modrm_rr(1); emit(b, 2, ARITH & ~AF);
    for (int d = 0; d < 4; d++) {                                               /* INC DEC NOT NEG */
      int digit = d < 2 ? d : d;
      b[0] = d < 2 ? 0xff : 0xf7; b[1] = modrm_digit(d < 2 ? digit : d, 0); emit(b, 2, ARITH);
      b[0] = d < 2 ? 0xfe : 0xf6; b[1] = modrm_digit(d < 2 ? digit : d, 1); emit(b, 2, ARITH);
      b[0] = 0x66; b[1] = d < 2 ? 0xff : 0xf7; b[2] = modrm_digit(d, 0); emit(b, 3, ARITH);
    }
  }
  /* Shifts and rotates: defined flags depend on the masked count. */
  for (int k = 0; k < reps * 6; k++) {
    int digit = rnd() % 8;
    if (digit == 6) digit = 4;
    int size = (int[]){1, 2, 4}[rnd() % 3];
    int count = rnd() % 3 == 0 ? 1 : rnd() % 32;
    uint32_t m;
    if (count == 0) m = ARITH;
    else if (digit <= 3) { /* rotates: CF, and OF only for count 1; others unchanged */
      int eff = digit >= 2 ? count % (size * 8 + 1) : count; /* RCL/RCR rotate modulo size+1 */
      m = (count == 1 ? ARITH : ARITH & ~OF);
      if (digit <= 1 && size < 4 && (count & (size * 8 - 1)) == 0) m = ARITH & ~OF; /* ROL/ROR count multiple of size */
      (void)eff;
    } else {
      m = count == 1 ? ARITH & ~AF : ARITH & ~AF & ~OF;
      if (count >= size * 8) m &= ~CF; /* SHL/SHR/SAR by at least the size: CF undefined */
    }
    int n = 0;
    if (size == 2) b[n++] = 0x66;
    if (rnd() % 2) { b[n++] = size == 1 ? 0xc0 : 0xc1; b[n++] = modrm_digit(digit, size == 1); b[n++] = count; emit(b, n, m); }
    else { /* by CL: force ECX's low byte to the count by using a MOV first is impossible here; use imm form twice */
      b[n++] = size == 1 ? 0xd0 : 0xd1; b[n++] = modrm_digit(digit, size == 1); emit(b, n, digit <= 3 ? ARITH : ARITH & ~AF);
    }
  }
  /* SHLD/SHRD with an immediate count. */
  for (int k = 0; k < reps * 3; k++) {
    int size = rnd() % 2 ? 4 : 2;
    int count = rnd() % 32;
    if (size == 2 && count > 16) count &= 15;
    uint32_t m = count == 0 ? ARITH : count == 1 ? ARITH & ~AF : ARITH & ~AF & ~OF;
    if (size == 2 && count == 16) continue;
    int n = 0;
    if (size == 2) b[n++] = 0x66;
    b[n++] = 0x0f; b[n++] = rnd() % 2 ? 0xa4 : 0xac; b[n++] = modrm_rr(0); b[n++] = count;
    emit(b, n, m);
  }
  /* Multiply: only CF and OF are defined. */
  for (int k = 0; k < reps * 3; k++) {
    uint32_t m = CF | OF;
    b[0] = 0xf7; b[1] = modrm_digit(4 + rnd() % 2, 0); emit(b, 2, m);
    b[0] = 0xf6; b[1] = modrm_digit(4 + rnd() % 2, 1); emit(b, 2, m);
    b[0] = 0x66; b[1] = 0xf7; b[2] = modrm_digit(4 + rnd() % 2, 0); emit(b, 3, m);
    b[0] = 0x0f; b[1] = 0xaf; b[2] = modrm_rr(0); emit(b, 3, m);
    b[0] = 0x6b; b[1] = modrm_rr(0); b[2] = value(); emit(b, 3, m);
    b[0] = 0x66; b[1] = 0x69; b[2] = modrm_rr(0); b[3] = value(); b[4] = value(); emit(b, 5, m);
  }
  /* Bit instructions. */
  for (int k = 0; k < reps * 2; k++) {
    b[0] = 0x0f; b[1] = (uint8_t[]){0xa3, 0xab, 0xb3, 0xbb}[rnd() % 4]; b[2] = modrm_rr(0); emit(b, 3, CF);
    b[0] = 0x0f; b[1] = 0xba; b[2] = modrm_digit(4 + rnd() % 4, 0); b[3] = value(); emit(b, 4, CF);
    b[0] = 0x0f; b[1] = 0xc8 + (uint8_t[]){0, 1, 2, 3, 5, 6, 7}[rnd() % 7]; emit(b, 2, ARITH);
    b[0] = 0x0f; b[1] = 0xb6 + (rnd() % 2) * 8; b[2] = modrm_rr(1) & 0xc7; b[2] |= (uint8_t[]){0, 1, 2, 3, 5, 6, 7}[rnd() % 7] << 3; emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0xb7 + (rnd() % 2) * 8; b[2] = modrm_rr(0); emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0x40 + rnd() % 16; b[2] = modrm_rr(0); emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0x90 + rnd() % 16; b[2] = modrm_digit(0, 1); emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0xc1; b[2] = modrm_rr(0); emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0xb1; b[2] = modrm_rr(0); emit(b, 3, ARITH);
    b[0] = 0x0f; b[1] = 0xb0; b[2] = modrm_rr(1); emit(b, 3, ARITH);
    b[0] = 0x87; b[1] = modrm_rr(0); emit(b, 2, ARITH);
    b[0] = 0x86; b[1] = modrm_rr(1); emit(b, 2, ARITH);
    b[0] = (uint8_t[]){0x98, 0x99, 0x9e, 0x9f, 0xf5, 0xf8, 0xf9}[rnd() % 7]; emit(b, 1, ARITH);
  }
  return 0;
}
