/**
 * Under a software monitor: the guest's virtual CPU beside the real one (the guest's own CPL,
 * IF and IOPL, control registers and descriptor-table registers, which the real processor does
 * not hold while the guest is deprivileged), the intervention counts, and the monitor's exits
 * up to the current point.
 */
import { Box, Text } from 'ink';
import type { CpuView } from '../../recorder/view/cpu-view';
import type { EventLine } from '../../recorder/view/event-view';
import { hex } from '../../recorder/view/fields';
import { Value } from './Value';

export function MonitorPane({ view, changed, exits, width, height }: { view: CpuView; changed: Set<string>; exits: EventLine[]; width: number; height: number }) {
  const v = view.monitor;
  if (v === null) {
    return (
      <Box width={width} height={height}>
        <Text dimColor wrap="wrap">native run: no monitor. Under sw-013 or sw-033 this pane shows the guest's virtual CPU and the monitor's exits.</Text>
      </Box>
    );
  }
  const c = (k: string) => changed.has(k);
  const top = Object.entries(v.interventions)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text wrap="truncate">
        {v.mode}: real cpl <Value text={String(view.cpl)} changed={c('cpl')} />, the guest's virtual cpl <Value text={String(v.cpl)} changed={c('v.cpl')} /> if{' '}
        <Value text={String(v.if)} changed={c('v.if')} /> iopl <Value text={String(v.iopl)} changed={c('v.iopl')} />
      </Text>
      <Text wrap="truncate">
        {(['cr0', 'cr2', 'cr3', 'cr4'] as const).map((k) => (
          <Text key={k}>
            v.{k} <Value text={hex(v.cr[k])} changed={c(`v.${k}`)} />{' '}
          </Text>
        ))}
      </Text>
      <Text wrap="truncate">
        v.gdtr <Value text={`${hex(v.gdtr.base)}/${hex(v.gdtr.limit, 4)}`} changed={c('v.gdtr.base') || c('v.gdtr.limit')} /> v.idtr{' '}
        <Value text={`${hex(v.idtr.base)}/${hex(v.idtr.limit, 4)}`} changed={c('v.idtr.base') || c('v.idtr.limit')} /> v.ldtr {hex(v.ldtr.selector ?? 0, 4)} v.tr {hex(v.tr.selector ?? 0, 4)}
      </Text>
      <Text wrap="truncate">
        exits <Value text={String(v.exits)} changed={c('v.exits')} />, cr3 switches {v.cr3Switches}
        {top ? `: ${top}` : ''}
      </Text>
      <Text dimColor wrap="truncate">monitor exits up to this point:</Text>
      {exits.slice(-Math.max(0, height - 5)).map((e) => (
        <Text key={e.seq} wrap="truncate">
          #{e.seq} @{e.icount} {hex(e.cs, 4)}:{hex(e.eip)} {e.fields}
        </Text>
      ))}
    </Box>
  );
}
