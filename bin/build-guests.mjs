#!/usr/bin/env node
// Builds the ringside guest kernels: every emulator/guests/<name>.asm becomes
// the Multiboot ELF32 image emulator/guests/<name>.elf, and so does every
// small test guest emulator/guests/tests/<name>.asm (guests that pin one
// behaviour in the tests: crash endings, event stamps, the monitors' seal).
//
//   node bin/build-guests.mjs            build (rewrites the committed images)
//   node bin/build-guests.mjs --check    build into a temporary directory and
//                                        exit 1 if any committed image differs
//                                        from its source (used by CI)
//
// Needs nasm (2.16) and GNU ld on PATH; exits 2 when one is missing.
// Builds are reproducible byte for byte: the tools are run from the
// repository root with relative source paths, nasm without debug info, ld
// without a build-id, and nothing in the image depends on the time or on the
// output directory. Plain Node ESM, no dependencies.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const guestDir = 'emulator/guests';                 // relative to root, on purpose
const linkerScript = `${guestDir}/lib/link.ld`;

const check = process.argv.includes('--check');
const unknown = process.argv.slice(2).filter((a) => a !== '--check');
if (unknown.length > 0) {
  console.error(`build-guests: unknown argument ${unknown[0]} (usage: build-guests.mjs [--check])`);
  process.exit(2);
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.error) return { ok: false, out: r.error.code === 'ENOENT' ? `${cmd} not found` : String(r.error) };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

for (const [tool, args] of [['nasm', ['-v']], ['ld', ['-V']]]) {
  const r = run(tool, args);
  if (!r.ok) {
    console.error(`build-guests: ${tool} is required (${r.out})`);
    process.exit(2);
  }
}

const sha = (buf) => createHash('sha256').update(buf).digest('hex').slice(0, 16);

const testGuestDir = `${guestDir}/tests`;        // small guests the tests use
const dirs = [guestDir, testGuestDir].filter((d) => existsSync(join(root, d)));
const asmIn = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.asm')).map((f) => f.slice(0, -4)).sort();
// Each guest as its folder and name.
const guests = dirs.flatMap((dir) => asmIn(dir).map((name) => ({ dir, name })));

const work = mkdtempSync(join(tmpdir(), 'ringside-guests-'));
let problems = 0;
try {
  for (const { dir, name } of guests) {
    const src = `${dir}/${name}.asm`;
    const image = `${dir}/${name}.elf`;
    const tag = dir === guestDir ? name : `tests-${name}`;
    const obj = join(work, `${tag}.o`);
    const out = join(work, `${tag}.elf`);

    const asm = run('nasm', ['-f', 'elf32', '-I', `${guestDir}/`, '-o', obj, src]);
    if (!asm.ok) {
      console.log(`FAIL   ${src}: nasm failed\n${asm.out}`);
      problems++;
      continue;
    }
    const link = run('ld', [
      '-m', 'elf_i386', '-T', linkerScript, '--build-id=none',
      '-z', 'max-page-size=0x1000', '-z', 'noexecstack', '--no-warn-rwx-segments',
      '-o', out, obj,
    ]);
    if (!link.ok) {
      console.log(`FAIL   ${src}: ld failed\n${link.out}`);
      problems++;
      continue;
    }
    const built = readFileSync(out);
    if (check) {
      const committedPath = join(root, image);
      if (!existsSync(committedPath)) {
        console.log(`MISSING ${image} (not built from ${src})`);
        problems++;
      } else if (!readFileSync(committedPath).equals(built)) {
        console.log(`DIFFERS ${image} != build of ${src} (run npm run guests)`);
        problems++;
      } else {
        console.log(`ok     ${image} ${built.length} bytes sha256:${sha(built)}`);
      }
    } else {
      copyFileSync(out, join(root, image));
      console.log(`built  ${image} ${built.length} bytes sha256:${sha(built)}`);
    }
  }
  if (check) {
    for (const dir of dirs) {
      const names = asmIn(dir);
      for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.elf')).sort()) {
        if (!names.includes(f.slice(0, -4))) {
          console.log(`ORPHAN ${dir}/${f} has no ${f.slice(0, -4)}.asm`);
          problems++;
        }
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (problems > 0) {
  console.log(`${problems} guest image(s) ${check ? 'do not match their sources' : 'failed to build'}`);
  process.exit(1);
}
