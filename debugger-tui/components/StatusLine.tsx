/**
 * The bottom line: run, guest and mode, icount / total, the nearest symbol, the last stop
 * reason or message; while a long move runs, its progress; while a prompt is open, the prompt.
 */
import { Text } from 'ink';
import type { Progress } from '../debugger';

export interface StatusData {
  run: number;
  guest: string;
  mode: string;
  icount: number;
  end: number;
  symbol: string;
  stop: string;
  message: string;
  progress: Progress | null;
  prompt: { label: string; text: string } | null;
}

export function StatusLine({ s, width }: { s: StatusData; width: number }) {
  if (s.prompt !== null) {
    return (
      <Text wrap="truncate">
        <Text color="cyan">{s.prompt.label}</Text> {s.prompt.text}
        <Text inverse> </Text>
      </Text>
    );
  }
  const where = `run ${s.run} ${s.guest} ${s.mode} │ ${s.icount}/${s.end} │ ${s.symbol}`;
  if (s.progress !== null) {
    const pct = Math.floor(s.progress.done * 100);
    return (
      <Text wrap="truncate" inverse>
        {`${where} │ ${s.progress.what}… ${pct}% (Esc stops)`.padEnd(width)}
      </Text>
    );
  }
  return (
    <Text wrap="truncate" inverse>
      {`${where} │ ${s.stop}${s.message ? ' │ ' + s.message : ''}`.padEnd(width)}
    </Text>
  );
}
