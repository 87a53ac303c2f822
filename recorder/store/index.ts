/** The trace store: one SQLite file per trace (schema.ts), one database operation per file. */
export { TraceError, QueryError } from './errors';
export { APPLICATION_ID, SCHEMA_VERSION, BLOCK_EVENTS, MIGRATIONS } from './schema';
export type { TraceDb, NewRun, RunInfo, Run, RunEnd, TraceInput, StoredInput, Snapshot, StoredSnapshot } from './types';
export { openTrace, openTraceReadOnly } from './open-trace';
export { closeTrace } from './close-trace';
export { createRun } from './create-run';
export { finishRun } from './finish-run';
export { readRun } from './read-run';
export { listRuns } from './list-runs';
export { EventWriter, DEFAULT_BATCH_EVENTS } from './append-events';
export { readEvents, type EventFilter } from './read-events';
export { seqRangeForIcount, type SeqRange } from './seek-icount';
export { appendInputs } from './append-inputs';
export { readInputs } from './read-inputs';
export { appendSnapshot } from './append-snapshot';
export { nearestSnapshot } from './nearest-snapshot';
export { readSnapshots } from './read-snapshots';
export { runQuery, iterateQuery, type QueryResult, type QueryStream } from './run-query';
