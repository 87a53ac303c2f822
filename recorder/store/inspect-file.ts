/**
 * Looks at a file before SQLite touches it: is it there, is it SQLite at all, is it whole, is it
 * a ringside trace and not too new. Reading the 100-byte SQLite header ourselves means a foreign
 * or damaged file is rejected without ever being opened by SQLite, so no -wal, -shm or -journal
 * file is ever created next to it.
 *
 * The header's application id is trusted: the store writes it when it creates the schema, in
 * rollback-journal mode, so it reaches the main file at once and never changes afterwards.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { APPLICATION_ID, SCHEMA_VERSION } from './schema';
import { TraceError } from './errors';

const MAGIC = 'SQLite format 3\0';

export interface FileFacts {
  state: 'missing' | 'empty' | 'trace'; // missing: no file; empty: 0 bytes or a SQLite file with no schema at all; trace: a ringside trace
  userVersion: number; // schema version in the header (may lag behind a pending WAL; SQLite's value is checked after opening)
}

function describe(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code ?? 'unreadable';
}

/**
 * Facts about `path`, or a TraceError naming what is wrong with it.
 * `missingOk` and `emptyOk` allow a file that openTrace may create or initialise.
 */
export function inspectFile(path: string, opts: { missingOk: boolean; emptyOk: boolean }): FileFacts {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new TraceError(`${path}: is a directory, not a trace`);
    // A FIFO would block the open (or the read) forever, a device is never a trace: refuse both at once.
    if (!st.isFile()) throw new TraceError(`${path}: not a regular file (a FIFO, a device or a socket), not a trace`);
    fd = openSync(path, 'r');
  } catch (err) {
    if (err instanceof TraceError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      if (opts.missingOk) return { state: 'missing', userVersion: 0 };
      throw new TraceError(`${path}: no such trace file`);
    }
    throw new TraceError(`${path}: cannot read the trace: ${describe(code)}`);
  }
  const header = Buffer.alloc(108);
  let size: number;
  let got: number;
  try {
    size = fstatSync(fd).size;
    got = readSync(fd, header, 0, header.length, 0);
  } catch (err) {
    throw new TraceError(`${path}: cannot read the trace: ${describe((err as NodeJS.ErrnoException).code)}`);
  } finally {
    closeSync(fd);
  }

  if (size === 0) {
    if (opts.emptyOk) return { state: 'empty', userVersion: 0 };
    throw new TraceError(`${path}: not a ringside trace (empty file)`);
  }
  if (got < MAGIC.length || header.toString('latin1', 0, MAGIC.length) !== MAGIC) {
    throw new TraceError(`${path}: not a ringside trace (not a SQLite database)`);
  }
  if (size < 100) throw new TraceError(`${path}: truncated or corrupt trace (${size} bytes)`);

  // The header (https://sqlite.org/fileformat.html#the_database_header), big-endian.
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw new TraceError(`${path}: truncated or corrupt trace (bad page size ${rawPageSize})`);
  const changeCounter = header.readUInt32BE(24);
  const headerPages = header.readUInt32BE(28);
  const validFor = header.readUInt32BE(92);
  const userVersion = header.readInt32BE(60);
  const applicationId = header.readUInt32BE(68);

  // A pending WAL (a recording killed before its checkpoint, or one still running) may be halfway
  // through copying pages into the file: then SQLite, reading through the WAL, is the judge.
  const pendingWal = existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0;
  const expected = headerPages * pageSize;
  if (!pendingWal && (size % pageSize !== 0 || (headerPages > 0 && changeCounter === validFor && size < expected))) {
    throw new TraceError(`${path}: truncated or corrupt trace (${size} bytes, its header says ${expected})`);
  }

  if (applicationId !== APPLICATION_ID) {
    // A SQLite file with nothing in it (page 1 is an empty table leaf) may become a trace.
    const emptySchema = header[100] === 0x0d && header.readUInt16BE(103) === 0;
    if (opts.emptyOk && applicationId === 0 && emptySchema && !pendingWal) return { state: 'empty', userVersion: 0 };
    const id = applicationId === 0 ? 'no application id' : `application id 0x${applicationId.toString(16).padStart(8, '0')}`;
    throw new TraceError(`${path}: a SQLite database, but not a ringside trace (${id})`);
  }
  if (userVersion > SCHEMA_VERSION) {
    throw new TraceError(`${path}: trace written by a newer ringside (schema version ${userVersion}; this build reads up to ${SCHEMA_VERSION})`);
  }
  return { state: 'trace', userVersion };
}
