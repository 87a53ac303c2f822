/**
 * What the diff pane shows beside two states: the first divergence of two runs and its
 * category, as the diff engine reports it. The pane compares the two states field by field
 * (fields.ts) on its own; a divergence, when one is known, is shown above them.
 */
export interface Divergence {
  icount: number; // guest instruction count where the runs first differ
  leftSeq?: number; // the first differing event of each run, when events differ
  rightSeq?: number;
  category: string; // e.g. 'ring aliasing', 'hidden state'
  summary: string; // one line
}
