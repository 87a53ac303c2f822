/**
 * The sensitive instruction forms of IA-32 (Robin and Irvine's list, plus the system-call and
 * interrupt-flag instructions), recognised from the guest's instruction bytes without decoding
 * the whole instruction: cheap enough for every step of the diff. Prefixes are skipped; a
 * segment-override prefix is itself a form ('segment-override': the access uses a segment
 * register's hidden cache explicitly).
 */
export type Form =
  | 'push-sreg' | 'pop-sreg' | 'mov-from-sreg' | 'mov-to-sreg' | 'lar' | 'lsl' | 'verr' | 'verw'
  | 'sgdt' | 'sidt' | 'sldt' | 'str' | 'smsw' | 'lgdt' | 'lidt' | 'lldt' | 'ltr' | 'lmsw'
  | 'pushf' | 'popf' | 'cli' | 'sti' | 'iret' | 'int' | 'hlt' | 'sysenter' | 'sysexit'
  | 'mov-cr' | 'io' | 'msr' | 'far-transfer' | 'segment-override';

const PREFIXES = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const SEG_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]);

/** The form of the instruction whose first bytes are `b` (-1 for unreadable bytes), or null. */
export function sensitiveForm(b: ArrayLike<number>): Form | null {
  let k = 0;
  let override = false;
  while (k < b.length && (PREFIXES.has(b[k]) || SEG_PREFIXES.has(b[k]))) {
    if (SEG_PREFIXES.has(b[k])) override = true;
    k++;
  }
  const op = b[k], op2 = b[k + 1], modrm = b[k + 2];
  const reg = (x: number) => (x >> 3) & 7;
  let form: Form | null = null;
  switch (op) {
    case 0x06: case 0x0e: case 0x16: case 0x1e: form = 'push-sreg'; break;
    case 0x07: case 0x17: case 0x1f: form = 'pop-sreg'; break;
    case 0x8c: form = 'mov-from-sreg'; break;
    case 0x8e: form = 'mov-to-sreg'; break;
    case 0x9c: form = 'pushf'; break;
    case 0x9d: form = 'popf'; break;
    case 0xfa: form = 'cli'; break;
    case 0xfb: form = 'sti'; break;
    case 0xcf: form = 'iret'; break;
    case 0xcc: case 0xcd: case 0xce: form = 'int'; break;
    case 0xf4: form = 'hlt'; break;
    case 0xe4: case 0xe5: case 0xe6: case 0xe7: case 0xec: case 0xed: case 0xee: case 0xef:
    case 0x6c: case 0x6d: case 0x6e: case 0x6f: form = 'io'; break;
    case 0x9a: case 0xea: case 0xca: case 0xcb: form = 'far-transfer'; break;
    case 0xff: if (reg(op2) === 3 || reg(op2) === 5) form = 'far-transfer'; break;
    case 0x0f:
      switch (op2) {
        case 0xa0: case 0xa8: form = 'push-sreg'; break;
        case 0xa1: case 0xa9: form = 'pop-sreg'; break;
        case 0x02: form = 'lar'; break;
        case 0x03: form = 'lsl'; break;
        case 0x34: form = 'sysenter'; break;
        case 0x35: form = 'sysexit'; break;
        case 0x20: case 0x22: form = 'mov-cr'; break;
        case 0x30: case 0x32: form = 'msr'; break;
        case 0x00: form = (['sldt', 'str', 'lldt', 'ltr', 'verr', 'verw', null, null] as const)[reg(modrm)] ?? null; break;
        case 0x01: form = (['sgdt', 'sidt', 'lgdt', 'lidt', 'smsw', null, 'lmsw', null] as const)[reg(modrm)] ?? null; break;
      }
      break;
  }
  if (form === null && override) form = 'segment-override';
  return form;
}
