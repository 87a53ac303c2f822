/**
 * Two runs of the same guest side by side at the same guest icount: every field of both
 * states, the differing ones first and highlighted. When the diff engine has found the first
 * divergence of the two runs and its category, it is shown above them.
 */
import { Box, Text } from 'ink';
import type { CpuView } from '../../recorder/view/cpu-view';
import { cpuFields } from '../../recorder/view/fields';
import type { Divergence } from '../../recorder/view/diff-view';
import type { RunInfo } from '../../recorder/store';

export interface DiffData {
  left: { run: RunInfo; view: CpuView };
  right: { run: RunInfo; view: CpuView } | null;
  divergence: Divergence | null;
  candidates: RunInfo[]; // runs of the same guest to pick from
}

export function diffRows(left: CpuView, right: CpuView): { key: string; left: string; right: string; differs: boolean }[] {
  const a = cpuFields(left), b = cpuFields(right);
  const keys = [...new Set([...a.keys(), ...b.keys()])];
  const rows = keys.map((key) => ({ key, left: a.get(key) ?? '-', right: b.get(key) ?? '-', differs: a.get(key) !== b.get(key) }));
  return [...rows.filter((r) => r.differs), ...rows.filter((r) => !r.differs)];
}

const label = (r: RunInfo) => `run ${r.id} ${r.mode}${(r.options as { shadow?: string })?.shadow ? ' ' + (r.options as { shadow?: string }).shadow : ''}`;

export function DiffPane({ data, scroll, width, height }: { data: DiffData; scroll: number; width: number; height: number }) {
  const { left, right } = data;
  if (right === null) {
    return (
      <Box flexDirection="column" width={width} height={height}>
        <Text dimColor wrap="wrap">
          d picks a run to compare with {label(left.run)} at the same guest icount.{' '}
          {data.candidates.length ? `Runs of ${left.run.imageName}: ${data.candidates.map(label).join(', ')}` : `No other run of ${left.run.imageName} in this trace.`}
        </Text>
      </Box>
    );
  }
  const rows = diffRows(left.view, right.view);
  const differing = rows.filter((r) => r.differs).length;
  const col = Math.max(12, Math.floor((width - 14) / 2));
  const header = 1 + (data.divergence ? 1 : 0);
  const body = rows.slice(scroll, scroll + Math.max(0, height - header - 1));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        {label(left.run)} vs {label(right.run)} at icount {left.view.icount}
        {right.view.icount !== left.view.icount ? ` (its run ends at ${right.view.icount})` : ''}: <Text color={differing ? 'yellow' : 'green'}>{differing} fields differ</Text>
      </Text>
      {data.divergence ? (
        <Text color="magenta" wrap="truncate">
          first divergence @{data.divergence.icount} [{data.divergence.category}] {data.divergence.summary}
        </Text>
      ) : null}
      <Text dimColor wrap="truncate">
        {'field'.padEnd(12)} {label(left.run).padEnd(col)} {label(right.run)}
      </Text>
      {body.map((r) => (
        <Text key={r.key} wrap="truncate" color={r.differs ? 'yellow' : undefined} bold={r.differs}>
          {r.key.padEnd(12)} {r.left.slice(0, col).padEnd(col)} {r.right}
        </Text>
      ))}
    </Box>
  );
}
