/** The runs of a trace in id order, without their image bytes. */
import type { RunInfo, TraceDb } from './types';

/** The columns of a RunInfo; the committed-event figures come from event_blocks. */
export const RUN_INFO_COLUMNS = `r.id, r.image_name, r.image_sha256, length(r.image) AS image_size, r.mode, r.options,
  r.ringside_version, r.schema_version, r.snapshot_interval, r.created_at, r.end_reason, r.exit_code, r.final_icount, r.event_count,
  (SELECT coalesce(sum(events), 0) FROM event_blocks b WHERE b.run = r.id) AS stored_events,
  (SELECT max(last_icount) FROM event_blocks b WHERE b.run = r.id) AS last_icount`;

export interface RunRow {
  id: number;
  image_name: string;
  image_sha256: string;
  image_size: number;
  mode: string;
  options: string;
  ringside_version: string;
  schema_version: number;
  snapshot_interval: number;
  created_at: string;
  end_reason: string | null;
  exit_code: number | null;
  final_icount: number | null;
  event_count: number | null;
  stored_events: number;
  last_icount: number | null;
}

export function toRunInfo(r: RunRow): RunInfo {
  let options: unknown;
  try {
    options = JSON.parse(r.options);
  } catch {
    options = r.options;
  }
  return {
    id: r.id,
    imageName: r.image_name,
    imageSha256: r.image_sha256,
    imageSize: r.image_size,
    mode: r.mode,
    options,
    ringsideVersion: r.ringside_version,
    schemaVersion: r.schema_version,
    snapshotInterval: r.snapshot_interval,
    createdAt: r.created_at,
    endReason: r.end_reason,
    exitCode: r.exit_code,
    finalIcount: r.final_icount,
    eventCount: r.event_count,
    complete: r.end_reason !== null,
    storedEvents: r.stored_events,
    lastIcount: r.last_icount,
  };
}

export function listRuns(db: TraceDb): RunInfo[] {
  return (db.prepare(`SELECT ${RUN_INFO_COLUMNS} FROM runs r ORDER BY r.id`).all() as RunRow[]).map(toRunInfo);
}
