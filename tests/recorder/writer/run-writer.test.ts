import { describe, expect, it } from 'vitest';
import { writeFailure, writerFromEnvironment } from '../../../recorder/writer/run-writer';
import { TraceError } from '../../../recorder/store/errors';

describe('choosing and failing a writer', () => {
  it('RINGSIDE_WRITER chooses thread (the default) or inline; anything else is one TraceError line', () => {
    expect(writerFromEnvironment({})).toBe('thread');
    expect(writerFromEnvironment({ RINGSIDE_WRITER: '' })).toBe('thread');
    expect(writerFromEnvironment({ RINGSIDE_WRITER: 'inline' })).toBe('inline');
    expect(writerFromEnvironment({ RINGSIDE_WRITER: 'thread' })).toBe('thread');
    expect(() => writerFromEnvironment({ RINGSIDE_WRITER: 'threads' })).toThrow(TraceError);
    expect(() => writerFromEnvironment({ RINGSIDE_WRITER: 'threads' })).toThrow("RINGSIDE_WRITER must be thread or inline, not 'threads'");
  });

  it("turns SQLite's write errors into one line naming the trace, and leaves other errors as they are", () => {
    const full = Object.assign(new Error('database or disk is full'), { name: 'SqliteError', code: 'SQLITE_FULL' });
    const e = writeFailure('/t/x.sqlite', full);
    expect(e).toBeInstanceOf(TraceError);
    expect((e as Error).message).toBe('/t/x.sqlite: cannot write to the trace (database or disk is full): the recording stops; the trace keeps every batch committed before, as an incomplete run');
    const bug = new RangeError('no');
    expect(writeFailure('/t/x.sqlite', bug)).toBe(bug);
  });
});
