/**
 * The processor: general registers, EIP with its symbol, EFLAGS, CPL, the segment registers
 * with their hidden descriptor caches (STALE when the descriptor in memory no longer matches
 * the cache), GDTR/IDTR/LDTR/TR and CR0/CR2/CR3/CR4. Values changed by the last move are
 * highlighted. Always REGISTER_ROWS lines.
 */
import { Box, Text } from 'ink';
import type { CpuView, SegmentView } from '../../recorder/view/cpu-view';
import { hex } from '../../recorder/view/fields';
import { Value } from './Value';

export const REGISTER_ROWS = 12;

function staleText(s: SegmentView): string {
  const d = s.inMemory!;
  const parts: string[] = [];
  if (d.base !== s.base) parts.push(`base ${hex(d.base)}`);
  if (d.limit !== s.limit) parts.push(`limit ${hex(d.limit)}`);
  if (parts.length === 0) parts.push('rights');
  return `memory: ${parts.join(' ')}`;
}

export function RegistersPane({ view, changed, width }: { view: CpuView; changed: Set<string>; width: number }) {
  const reg = (k: number) => {
    const r = view.regs[k];
    return (
      <Text key={r.name}>
        {r.name} <Value text={hex(r.value)} changed={changed.has(r.name)} />{' '}
      </Text>
    );
  };
  const order = [0, 1, 2, 3, 4, 5, 6, 7];
  return (
    <Box flexDirection="column" width={width} height={REGISTER_ROWS}>
      <Text wrap="truncate">
        {order.slice(0, 4).map(reg)} cpl <Value text={String(view.cpl)} changed={changed.has('cpl')} />
        {view.halted ? <Text color="magenta"> halted</Text> : null}
      </Text>
      <Text wrap="truncate">{order.slice(4).map(reg)}</Text>
      <Text wrap="truncate">
        eip <Value text={hex(view.eip)} changed={changed.has('eip')} /> eflags <Value text={view.flagsText} changed={changed.has('eflags')} />{' '}
        <Text color="cyan">{view.symbol}</Text>
      </Text>
      <Text dimColor wrap="truncate">
        seg sel  base     limit    hidden descriptor cache
      </Text>
      {view.segments.map((s) => (
        <Text key={s.name} wrap="truncate">
          {s.name.padEnd(3)} <Value text={hex(s.selector, 4)} changed={changed.has(`${s.name}.sel`)} />{' '}
          <Value text={hex(s.base)} changed={changed.has(`${s.name}.base`)} /> <Value text={hex(s.limit)} changed={changed.has(`${s.name}.limit`)} />{' '}
          {s.stale ? (
            <Text color="red" bold>
              STALE ({staleText(s)}){' '}
            </Text>
          ) : null}
          <Value text={s.rightsText} changed={changed.has(`${s.name}.rights`)} />
        </Text>
      ))}
      <Text wrap="truncate">
        gdtr <Value text={`${hex(view.gdtr.base)}/${hex(view.gdtr.limit, 4)}`} changed={changed.has('gdtr.base') || changed.has('gdtr.limit')} /> idtr{' '}
        <Value text={`${hex(view.idtr.base)}/${hex(view.idtr.limit, 4)}`} changed={changed.has('idtr.base') || changed.has('idtr.limit')} /> ldtr{' '}
        <Value text={hex(view.ldtr.selector ?? 0, 4)} changed={changed.has('ldtr.sel')} /> tr <Value text={hex(view.tr.selector ?? 0, 4)} changed={changed.has('tr.sel')} />
        <Text dimColor> ({hex(view.tr.base)}/{hex(view.tr.limit, 4)})</Text>
      </Text>
      <Text wrap="truncate">
        {(['cr0', 'cr2', 'cr3', 'cr4'] as const).map((k) => (
          <Text key={k}>
            {k} <Value text={hex(view.cr[k])} changed={changed.has(k)} />{' '}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
