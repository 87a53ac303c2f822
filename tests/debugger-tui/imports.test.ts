/** The debugger knows no CPU internals: it reads the machine only through recorder/ (Timeline, the store, the view data). */
import { describe, it, expect } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { ROOT } from '../helpers/cli';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) ? [p] : [];
  });
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]/g), ...src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]);
}

describe('the debugger import boundary', () => {
  const dir = join(ROOT, 'debugger-tui');
  const all = files(dir);

  it('finds the debugger sources', () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.some((f) => f.endsWith('App.tsx'))).toBe(true);
  });

  it('no file of debugger-tui/ imports from emulator/ (the CPU, its devices, its monitors)', () => {
    const bad: string[] = [];
    for (const f of all) {
      for (const spec of imports(f)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, resolve(dirname(f), spec));
        if (target.startsWith('emulator')) bad.push(`${relative(ROOT, f)} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no file of debugger-tui/ reaches into the machine object (machine.cpu, machine.symbols): it reads view data', () => {
    const bad = all.filter((f) => /\bmachine\.(cpu|symbols|executor|monitor)\b|\bm\.cpu\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(bad).toEqual([]);
  });

  it('the check sees an import of emulator/cpu (it would fail on one)', () => {
    const spec = '../../emulator/cpu/cpu';
    const target = relative(ROOT, resolve(join(dir, 'components'), spec));
    expect(target.startsWith('emulator')).toBe(true);
    expect(imports(join(dir, 'debugger.ts'))).toContain('../recorder/timeline');
  });
});
