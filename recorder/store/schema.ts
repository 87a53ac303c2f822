/**
 * The trace file's schema: every table, index and view as constants, the schema version with
 * its migration list, and the application id that marks a SQLite file as a ringside trace.
 *
 * Layout decisions (measured with 1,000,000 recorded events, see tests/recorder/store/measure-store.ts):
 * - `events` is a WITHOUT ROWID table keyed by (run, seq): the table itself is the "events of a
 *   run in seq order" index, and appends stay on SQLite's fast path. About 34 bytes per event.
 * - The text slot is stored as `text_id` into `strings` (a few dozen distinct texts per run):
 *   about 5 bytes per event less than storing the text itself.
 * - No secondary index on events: a full (run, icount) index costs 15.8 B/event and a (run, kind)
 *   index 12.3 B/event, and the latter halves the append rate. Instead `event_blocks` summarises
 *   every run of up to BLOCK_EVENTS consecutive events (seq and icount bounds, a bit mask of the
 *   kinds inside) for about 0.1 B/event: icount -> seq lookups and kind-filtered reads go through
 *   it (read-events.ts, seek-icount.ts). icount never decreases within a run, so block bounds
 *   order the same way by seq and by icount.
 * - Views name the slots: one `ev_<kind>` view per kind with the columns of KIND_FIELDS, and
 *   `ev_all` with the kind's name and the text.
 */
import { EVENT_KINDS, KIND_FIELDS, KIND_NAMES, type EventKindName, type FieldDeclaration, type Slot } from '../events';

/** PRAGMA application_id of every ringside trace: 'RING' in ASCII. */
export const APPLICATION_ID = 0x52494e47;

/** Events per `event_blocks` row (a block also ends at every flush of the writer). */
export const BLOCK_EVENTS = 256;

/** Tables the store cannot work without; a file lacking one is not a ringside trace. */
export const REQUIRED_TABLES = ['runs', 'events', 'event_blocks', 'strings', 'kinds', 'inputs', 'snapshots', 'snapshot_pages', 'disk_images', 'disk_image_chunks', 'run_disks', 'disk_writes'] as const;

/** One recording: the guest, how it was run, and how it ended. */
export const RUNS_TABLE = `CREATE TABLE runs (
  id INTEGER PRIMARY KEY,          -- run number, 1, 2, ... in the order runs were created in this file
  image BLOB NOT NULL,             -- the guest image bytes, exactly as recorded (the trace is self-contained)
  image_sha256 TEXT NOT NULL,      -- lowercase hex SHA-256 of image
  image_name TEXT NOT NULL,        -- base name of the image file (informative)
  mode TEXT NOT NULL,              -- monitor mode: native, sw-013, sw-033, vtx
  options TEXT NOT NULL,           -- JSON: every option needed to rebuild the machine (the recorder's RunOptions)
  ringside_version TEXT NOT NULL,  -- version of ringside that recorded the run
  schema_version INTEGER NOT NULL, -- trace schema version the run was written with
  start_state BLOB,                -- opaque machine state at the start, in the recorder's format; NULL: none
  snapshot_interval INTEGER NOT NULL, -- retired instructions between snapshots; 0: no snapshots
  created_at TEXT NOT NULL,        -- ISO-8601 UTC time the recording began (informative only, never replayed)
  end_reason TEXT,                 -- how it ended (recorder/end-reasons.ts: exit, halt, shutdown, limit, interrupted); NULL: incomplete, the recording did not finish
  exit_code INTEGER,               -- exit code of the run (as ringside run returns it); NULL while incomplete
  final_icount INTEGER,            -- retired instructions at the end; NULL while incomplete
  event_count INTEGER              -- events recorded; NULL while incomplete (event_blocks counts what was committed)
)`;

/** Every event of every run, one row each; kind-specific slots a..d and text_id are named by the views. */
export const EVENTS_TABLE = `CREATE TABLE events (
  run INTEGER NOT NULL,     -- runs.id
  seq INTEGER NOT NULL,     -- position of the event in its run, from 0, without gaps
  icount INTEGER NOT NULL,  -- retired-instruction count when it happened (never decreases along seq)
  kind INTEGER NOT NULL,    -- kinds.id (EventKind in recorder/events.ts)
  cpl INTEGER NOT NULL,     -- current privilege level, 0..3
  cs INTEGER NOT NULL,      -- CS selector of the instruction that caused it (or the next one)
  eip INTEGER NOT NULL,     -- EIP of that instruction, as an unsigned 32-bit number
  a INTEGER NOT NULL,       -- kind-specific slot a (see KIND_FIELDS and the ev_<kind> views)
  b INTEGER NOT NULL,       -- kind-specific slot b
  c INTEGER NOT NULL,       -- kind-specific slot c
  d INTEGER NOT NULL,       -- kind-specific slot d
  text_id INTEGER NOT NULL, -- strings.id of the kind-specific text slot (0: the empty text)
  PRIMARY KEY (run, seq)
) WITHOUT ROWID`;

/** A summary of up to BLOCK_EVENTS consecutive events of one run, written with them. */
export const EVENT_BLOCKS_TABLE = `CREATE TABLE event_blocks (
  run INTEGER NOT NULL,          -- runs.id
  first_seq INTEGER NOT NULL,    -- seq of the block's first event
  last_seq INTEGER NOT NULL,     -- seq of its last event
  first_icount INTEGER NOT NULL, -- icount of its first event
  last_icount INTEGER NOT NULL,  -- icount of its last event
  events INTEGER NOT NULL,       -- number of events in the block
  kinds INTEGER NOT NULL,        -- bit k set when the block holds an event of kind k
  digest INTEGER NOT NULL,       -- EventDigest of the block's events (replay verification)
  PRIMARY KEY (run, first_seq)
) WITHOUT ROWID`;

/** "The block holding icount N": seeks by icount go through this index (about 0.05 B/event). */
export const EVENT_BLOCKS_ICOUNT_INDEX = 'CREATE INDEX event_blocks_icount ON event_blocks (run, first_icount)';

/** The distinct texts of the events' text slot, shared by all runs of the file. */
export const STRINGS_TABLE = `CREATE TABLE strings (
  id INTEGER PRIMARY KEY, -- what events.text_id refers to; 0 is the empty text
  text TEXT NOT NULL UNIQUE -- the text (a cause, source, op, reason, rights in hex...)
)`;

/** The closed set of event kinds, for joins and for ev_all's kind names. */
export const KINDS_TABLE = `CREATE TABLE kinds (
  id INTEGER PRIMARY KEY, -- EventKind number
  name TEXT NOT NULL UNIQUE -- EventKind name, e.g. privilege, segment_load
)`;

/** What reached the machine from outside, at exact instruction counts: replay feeds them back. */
export const INPUTS_TABLE = `CREATE TABLE inputs (
  run INTEGER NOT NULL,    -- runs.id
  seq INTEGER NOT NULL,    -- position of the input in its run, from 0
  icount INTEGER NOT NULL, -- applied before the instruction with this count retires
  channel TEXT NOT NULL,   -- uart (a byte fed to the COM1 receiver) or irq (an interrupt raised at the local APIC)
  value NOT NULL,          -- INTEGER (the byte, the vector) or BLOB (several bytes at once); no declared type, so kept as given
  PRIMARY KEY (run, seq)
) WITHOUT ROWID`;

/** Machine state at regular icounts: seek restores the latest one at or before the target. */
export const SNAPSHOTS_TABLE = `CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,  -- snapshot number in the file
  run INTEGER NOT NULL,    -- runs.id
  icount INTEGER NOT NULL, -- retired instructions when it was taken
  kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')), -- full: all of memory; delta: pages written since the previous snapshot
  event_seq INTEGER NOT NULL, -- seq of the first event after this point (the number of events before it)
  input_seq INTEGER NOT NULL, -- seq of the first input not applied yet at this point
  cpu BLOB NOT NULL,       -- opaque CPU state, in the recorder's format
  devices BLOB NOT NULL    -- opaque device state (APIC, PIC, PIT, UART...), in the recorder's format
)`;

/** The snapshots table of schema version 1, which held every page in one BLOB (frozen: migration 1 creates it). */
const SNAPSHOTS_TABLE_V1 = `CREATE TABLE snapshots (
  id INTEGER PRIMARY KEY,  -- snapshot number in the file
  run INTEGER NOT NULL,    -- runs.id
  icount INTEGER NOT NULL, -- retired instructions when it was taken
  kind TEXT NOT NULL CHECK (kind IN ('full', 'delta')), -- full: all of memory; delta: pages written since the previous snapshot
  event_seq INTEGER NOT NULL, -- seq of the first event after this point (the number of events before it)
  input_seq INTEGER NOT NULL, -- seq of the first input not applied yet at this point
  cpu BLOB NOT NULL,       -- opaque CPU state, in the recorder's format
  devices BLOB NOT NULL,   -- opaque device state (APIC, PIC, PIT, UART...), in the recorder's format
  pages BLOB NOT NULL      -- packed memory pages: (page number, 4096 bytes)..., in the recorder's format
)`;

/**
 * The RAM pages of each snapshot, in chunks of at most SNAPSHOT_CHUNK_PAGES pages: a snapshot of
 * any size is written and read a chunk at a time (one BLOB of 2 GiB exceeds SQLite's limit).
 */
export const SNAPSHOT_PAGES_TABLE = `CREATE TABLE snapshot_pages (
  snapshot INTEGER NOT NULL, -- snapshots.id
  chunk INTEGER NOT NULL,    -- position of the chunk in its snapshot, from 0, without gaps
  pages BLOB NOT NULL,       -- packed memory pages: (page number u32 LE, 4096 bytes)..., in the recorder's format
  PRIMARY KEY (snapshot, chunk)
) WITHOUT ROWID`;

/**
 * Disk images (`--disk`), stored once per content whatever the number of runs that use them,
 * like the kernel image makes a trace self-contained. The bytes are in disk_image_chunks.
 */
export const DISK_IMAGES_TABLE = `CREATE TABLE disk_images (
  sha256 TEXT PRIMARY KEY, -- lowercase hex SHA-256 of the image file's bytes: the image's identity
  size INTEGER NOT NULL    -- bytes of the file (the disk holds ceil(size / 512) sectors)
) WITHOUT ROWID`;

/** The bytes of each disk image, in chunks of DISK_CHUNK_BYTES (the last one shorter). */
export const DISK_IMAGE_CHUNKS_TABLE = `CREATE TABLE disk_image_chunks (
  sha256 TEXT NOT NULL,   -- disk_images.sha256
  chunk INTEGER NOT NULL, -- position of the chunk, from 0, without gaps
  data BLOB NOT NULL,     -- DISK_CHUNK_BYTES bytes of the image (fewer in the last chunk)
  PRIMARY KEY (sha256, chunk)
) WITHOUT ROWID`;

/** Bytes per disk_image_chunks row (1 MiB). */
export const DISK_CHUNK_BYTES = 1 << 20;

/** The disks of each run: slot 0 is the primary master, 1 the primary slave. */
export const RUN_DISKS_TABLE = `CREATE TABLE run_disks (
  run INTEGER NOT NULL,  -- runs.id
  slot INTEGER NOT NULL, -- 0: primary master (--disk given first), 1: primary slave
  sha256 TEXT NOT NULL,  -- disk_images.sha256 of the image the run started from
  name TEXT NOT NULL,    -- base name of the file (informative)
  PRIMARY KEY (run, slot)
) WITHOUT ROWID`;

/**
 * The copy-on-write layer of a run's disks: every sector the guest wrote, in order. The disk as
 * the guest sees it after the first n writes to slot s is its image with those writes applied;
 * a snapshot's device state holds each disk's n, so a seek restores the disk with the rest.
 */
export const DISK_WRITES_TABLE = `CREATE TABLE disk_writes (
  run INTEGER NOT NULL,    -- runs.id
  seq INTEGER NOT NULL,    -- position of the write in its run (both disks), from 0, without gaps
  icount INTEGER NOT NULL, -- retired instructions when the write was applied (informative)
  slot INTEGER NOT NULL,   -- run_disks.slot of the disk written
  lba INTEGER NOT NULL,    -- the sector written
  data BLOB NOT NULL,      -- its 512 new bytes
  PRIMARY KEY (run, seq)
) WITHOUT ROWID`;

/** The Multiboot modules of a run (`--module`), stored whole like its image: replay loads them again. */
export const MODULES_TABLE = `CREATE TABLE modules (
  run INTEGER NOT NULL,       -- runs.id
  position INTEGER NOT NULL,  -- order of the module on the command line, from 0 (the order the loader places them in)
  name TEXT NOT NULL,         -- base name of the module file (the Multiboot module string)
  data BLOB NOT NULL,         -- the module bytes, exactly as recorded
  sha256 TEXT NOT NULL,       -- lowercase hex SHA-256 of data
  PRIMARY KEY (run, position)
) WITHOUT ROWID`;

/** Pages per snapshot_pages row (about 1 MiB). */
export const SNAPSHOT_CHUNK_PAGES = 256;

/** "The latest snapshot at or before icount N" is one seek in this index. */
export const SNAPSHOTS_AT_INDEX = 'CREATE UNIQUE INDEX snapshots_at ON snapshots (run, icount)';

/** Every table and index of the current schema, in creation order. */
export const TABLES = [
  RUNS_TABLE, EVENTS_TABLE, EVENT_BLOCKS_TABLE, EVENT_BLOCKS_ICOUNT_INDEX, STRINGS_TABLE, KINDS_TABLE, INPUTS_TABLE, SNAPSHOTS_TABLE, SNAPSHOTS_AT_INDEX, SNAPSHOT_PAGES_TABLE,
  DISK_IMAGES_TABLE, DISK_IMAGE_CHUNKS_TABLE, RUN_DISKS_TABLE, DISK_WRITES_TABLE, MODULES_TABLE,
];

/** The tables and indexes of schema version 1 (what migration 1 creates, whatever changed since). */
const TABLES_V1 = [RUNS_TABLE, EVENTS_TABLE, EVENT_BLOCKS_TABLE, EVENT_BLOCKS_ICOUNT_INDEX, STRINGS_TABLE, KINDS_TABLE, INPUTS_TABLE, SNAPSHOTS_TABLE_V1, SNAPSHOTS_AT_INDEX];

/** The rows every trace starts with: the empty text as string 0, and the kinds. */
export function seedStatements(): string[] {
  const kinds = KIND_NAMES.map((name, id) => (name ? `(${id}, '${name}')` : '')).filter(Boolean);
  return ["INSERT INTO strings (id, text) VALUES (0, '')", `INSERT INTO kinds (id, name) VALUES ${kinds.join(', ')}`];
}

/** The name of the view of one kind. */
export function kindViewName(kind: EventKindName): string {
  return `ev_${kind}`;
}

/** Whether the field in `slot` of `kind` is declared signed. */
function isSigned(kind: EventKindName, slot: Slot): boolean {
  return (EVENT_KINDS[kind].fields as readonly FieldDeclaration[]).some((d) => d.slot === slot && d.signed === true);
}

/**
 * ev_<kind>: run, seq, icount, cpl, cs, eip and the kind's named columns (the text slot as
 * text); a 32-bit unsigned field is shown unsigned (`& 4294967295`: the recorder may store it
 * with its sign bit as a negative number), a signed one as stored.
 */
export function kindView(kind: EventKindName, id: number): string {
  const f = KIND_FIELDS[kind];
  const cols = ['e.run', 'e.seq', 'e.icount', 'e.cpl', 'e.cs', 'e.eip'];
  for (const slot of ['a', 'b', 'c', 'd'] as const) {
    const name = f[slot];
    if (name) cols.push(isSigned(kind, slot) ? `e.${slot} AS ${name}` : `(e.${slot} & 4294967295) AS ${name}`);
  }
  if (f.text) cols.push(`s.text AS ${f.text}`);
  const join = f.text ? ' LEFT JOIN strings s ON s.id = e.text_id' : '';
  return `CREATE VIEW ${kindViewName(kind)} AS SELECT ${cols.join(', ')} FROM events e${join} WHERE e.kind = ${id}`;
}

/** ev_all: every event with its kind's name and its text, slots unnamed. */
export const ALL_EVENTS_VIEW = `CREATE VIEW ev_all AS SELECT e.run, e.seq, e.icount, k.name AS kind, e.kind AS kind_id, e.cpl, e.cs, e.eip, e.a, e.b, e.c, e.d, s.text AS text
FROM events e LEFT JOIN kinds k ON k.id = e.kind LEFT JOIN strings s ON s.id = e.text_id`;

/** Every view, derived from the event model (recorder/events.ts). */
export function viewStatements(): string[] {
  const views = [ALL_EVENTS_VIEW];
  KIND_NAMES.forEach((name, id) => {
    if (name) views.push(kindView(name, id));
  });
  return views;
}

/** The names of every view, for DROP VIEW in migrations that change the event model. */
export function viewNames(): string[] {
  return ['ev_all', ...KIND_NAMES.filter(Boolean).map(kindViewName)];
}

/**
 * One step of the schema's history. Migrations run in order inside one transaction when a
 * trace with an older user_version is opened for writing. A change to the event model
 * (KIND_NAMES, KIND_FIELDS) changes the views, so it needs a new migration that drops and
 * recreates them (viewNames, viewStatements), and a new EVENT_MODEL below.
 */
export interface Migration {
  version: number; // user_version after this step
  description: string; // what it changes
  statements: () => string[]; // the SQL, run in order
  /** The step only adds what older runs lack (a table): a file without it still reads, read-only, as it is. */
  additive?: true;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'runs, events with event_blocks, strings, kinds, inputs, snapshots; ev_all and ev_<kind> views',
    statements: () => [...TABLES_V1, ...seedStatements(), ...viewStatements()],
  },
  {
    version: 2,
    description:
      'events stamped with the instruction at which they happened; privilege, interrupt and fast_syscall carry their destination; io_string kind',
    statements: () => [
      `INSERT OR IGNORE INTO kinds (id, name) VALUES ${KIND_NAMES.map((name, id) => (name ? `(${id}, '${name}')` : '')).filter(Boolean).join(', ')}`,
      ...viewNames().map((v) => `DROP VIEW IF EXISTS ${v}`),
      ...viewStatements(),
    ],
  },
  {
    version: 3,
    description: 'snapshot pages move to snapshot_pages, in chunks',
    statements: () => [
      SNAPSHOT_PAGES_TABLE,
      'INSERT INTO snapshot_pages (snapshot, chunk, pages) SELECT id, 0, pages FROM snapshots WHERE length(pages) > 0',
      'ALTER TABLE snapshots DROP COLUMN pages',
    ],
  },
  {
    version: 4,
    description: 'disk images (content-addressed, in chunks), the disks of each run, and the copy-on-write layer of guest sector writes',
    statements: () => [DISK_IMAGES_TABLE, DISK_IMAGE_CHUNKS_TABLE, RUN_DISKS_TABLE, DISK_WRITES_TABLE],
    additive: true,
  },
  {
    // Additive for readers: an older file holds no task_switch event, so only its view is missing.
    version: 5,
    description: 'task_switch kind (hardware task switches) and its view ev_task_switch',
    statements: () => [
      `INSERT OR IGNORE INTO kinds (id, name) VALUES ${KIND_NAMES.map((name, id) => (name ? `(${id}, '${name}')` : '')).filter(Boolean).join(', ')}`,
      ...viewNames().map((v) => `DROP VIEW IF EXISTS ${v}`),
      ...viewStatements(),
    ],
    additive: true,
  },
  {
    version: 6,
    description: 'modules: the Multiboot modules of each run, stored whole',
    statements: () => [MODULES_TABLE],
    additive: true,
  },
  {
    version: 7,
    description: 'ev_<kind> views show 32-bit unsigned fields (addresses, limits, values) unsigned',
    statements: () => [...viewNames().map((v) => `DROP VIEW IF EXISTS ${v}`), ...viewStatements()],
    additive: true,
  },
];

/**
 * The oldest schema version a read-only open accepts: every step after it is additive (the
 * readers treat what it adds as empty). Older files are upgraded when opened for recording.
 */
export const READABLE_SCHEMA_VERSION = [...MIGRATIONS].reverse().find((m) => m.additive !== true)!.version;

/**
 * The oldest per-run schema version whose events this build regenerates identically: a run
 * recorded before it (its events are stamped differently) is refused by replay and seek.
 */
export const REPLAYABLE_SCHEMA_VERSION = 2;

/** The tables schema version 4 added. */
export const DISK_TABLES = ['disk_images', 'disk_image_chunks', 'run_disks', 'disk_writes'] as const;

/** The schema version this build writes, and the newest it can read. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/**
 * The event model the current views were generated from: a test compares it with
 * recorder/events.ts, so that changing the model without a migration fails loudly.
 */
export const EVENT_MODEL =
  'privilege:a=from_cpl,b=to_cpl,c=to_cs,d=to_eip,text=cause;exception:a=vector,b=error_code(signed),c=cr2;interrupt:a=vector,b=to_cs,c=to_eip,d=to_cpl,text=source;' +
  'iflag:a=real_if,b=virtual_if(signed),c=changed,text=by_instruction;segment_load:a=reg,b=selector,c=base,d=seg_limit,text=rights;' +
  'stale_descriptor:a=reg,b=selector;dtr:a=base,b=dt_limit,c=selector,text=op;cr:a=is_write,b=reg,c=value;' +
  'msr:a=is_write,b=msr_index,c=value_lo,d=value_hi;tpr:a=old_tpr,b=new_tpr;io:a=is_write,b=port,c=size,d=value;' +
  'fast_syscall:a=to_cs,b=to_eip,c=to_cpl,text=op;monitor_exit:a=exit_reason,b=qualification,text=reason;monitor_entry:text=how;' +
  'monitor_emulation:a=value,text=what;input:a=value,text=channel;halt:;shutdown:text=reason;run_end:a=exit_code,text=reason;' +
  'io_string:a=port,b=elements,c=digest,d=last_value,text=op;task_switch:a=old_tss,b=new_tss,c=vector,text=cause';

/** The current event model in EVENT_MODEL's notation. */
export function describeEventModel(): string {
  return KIND_NAMES.filter(Boolean)
    .map((name) => {
      const f = KIND_FIELDS[name] as Record<string, string | undefined>;
      const slots = ['a', 'b', 'c', 'd', 'text'] as const;
      return `${name}:${slots.filter((s) => f[s]).map((s) => `${s}=${f[s]}${isSigned(name, s) ? '(signed)' : ''}`).join(',')}`;
    })
    .join(';');
}
