/**
 * The bottom line: run, guest and mode, icount / total, the nearest symbol, the last stop
 * reason, or the message of the last command since the last move; while a long move runs, its progress; while a prompt is open, the prompt.
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
  const head = `run ${s.run} ${s.guest.replace(/\.elf$/, '')} ${s.mode} │ ${s.icount}/${s.end}`;
  const tail = s.progress !== null ? `${s.progress.what}… ${Math.floor(s.progress.done * 100)}% (Esc stops)` : s.message || s.stop;
  // The symbol gives way to the stop reason and the message on a narrow terminal.
  const room = width - head.length - tail.length - 6;
  const symbol = room >= 8 ? ` │ ${s.symbol.length > room ? s.symbol.slice(0, room - 1) + '…' : s.symbol}` : '';
  return (
    <Text wrap="truncate" inverse>
      {`${head}${symbol} │ ${tail}`.padEnd(width)}
    </Text>
  );
}
