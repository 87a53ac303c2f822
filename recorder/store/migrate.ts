/**
 * Brings a trace opened for writing to SCHEMA_VERSION: runs every migration newer than the
 * file's user_version, sets the application id and the version, all in one transaction, so a
 * file is either wholly at the old version or wholly at the new one.
 */
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema';
import { TraceError } from './errors';
import type { TraceDb } from './types';

export function migrate(db: TraceDb, path: string): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new TraceError(`${path}: trace written by a newer ringside (schema version ${current}; this build reads up to ${SCHEMA_VERSION})`);
    }
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      for (const sql of m.statements()) db.exec(sql);
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
