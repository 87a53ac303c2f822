/**
 * The strings.id of a text, adding the text when it is new. Runs in its own implicit
 * transaction when called outside one: a text committed before the events that use it is
 * harmless (strings only grow), and it keeps the writer's cache valid whatever happens later.
 */
import type { TraceDb } from './types';

export function internString(db: TraceDb, text: string): number {
  db.prepare('INSERT INTO strings (text) VALUES (?) ON CONFLICT (text) DO NOTHING').run(text);
  return db.prepare('SELECT id FROM strings WHERE text = ?').pluck().get(text) as number;
}
