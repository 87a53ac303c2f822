/** Stores inputs of a run with consecutive seqs from `firstSeq` (EventWriter calls it inside its batch transaction). */
import type { TraceDb } from './types';
import type { Input } from '../events';

export function appendInputs(db: TraceDb, run: number, firstSeq: number, inputs: readonly Input[]): void {
  if (inputs.length === 0) return;
  const insert = db.prepare('INSERT INTO inputs (run, seq, icount, channel, value) VALUES (?, ?, ?, ?, ?)');
  inputs.forEach((input, i) => insert.run(run, firstSeq + i, input.icount, input.channel, input.value));
}
