/** Every text of the strings table, by id (a few dozen per run: read once, kept in a Map). */
import type { TraceDb } from './types';

export function readStrings(db: TraceDb): Map<number, string> {
  const map = new Map<number, string>();
  for (const [id, text] of db.prepare('SELECT id, text FROM strings').raw().iterate() as Iterable<[number, string]>) map.set(id, text);
  return map;
}
