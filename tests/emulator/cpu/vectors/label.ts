/**
 * Labels host-oracle vector lines with the form each one executes (`# mnemonic operands`, from
 * the opcode table): `npm run vectors` pipes the generator's output through it. The vectors
 * test checks every label against the decoded form, so a label never lies.
 */
import { readFileSync } from 'node:fs';
import { formLabel } from './form-label';

for (const line of readFileSync(0, 'utf8').split('\n')) {
  if (line === '') continue;
  const data = line.split(' # ')[0];
  process.stdout.write(`${data} # ${formLabel(data.split(' ')[0])}\n`);
}
