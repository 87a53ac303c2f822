/** The `ringside` command line. */
import { Command, CommanderError } from 'commander';
import { reportError, EXIT_BAD_INPUT } from './errors';
import { runCommand } from './commands/run';
import { recordCommand } from './commands/record';
import { replayCommand } from './commands/replay';
import { atCommand } from './commands/at';
import { queryCommand } from './commands/query';
import { matrixCommand } from './commands/matrix';
import { RINGSIDE_VERSION } from '../recorder/version';
import { machineOptions, setupOptions, inputOptions, translatorOption, applyTranslatorChoice } from './machine-options';
import { diffCommand } from './commands/diff';
import { drawEveryFrameOnTerminal } from './terminal-env';

const program = new Command();
program
  .name('ringside')
  .description('record/replay debugger for IA-32 virtual machines')
  .version(RINGSIDE_VERSION, '-V, --version', "print ringside's version")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.split('\n')[0] + '\n') });

const run = program
  .command('run')
  .description("run a guest without recording; its UART goes to stdout; exits with the guest's debug-exit code")
  .argument('<image>', 'Multiboot kernel (ELF32 or a.out kludge), or a flat binary with --flat');
inputOptions(machineOptions(run))
  .option('--screen', 'print the final 80x25 VGA text screen when the run ends')
  .option('--disk-write-back', 'at the end of the run, write what the guest wrote to its disks back into the --disk files')
  .option('--gdb <[host:]port>', 'stop before the first instruction and wait for gdb on this port (host default 127.0.0.1)')
  .action(async (image: string, opts) => {
    process.exitCode = await runCommand(image, opts);
  });

const record = program
  .command('record')
  .description('run a guest and record every state transition into a trace (default traces/<image>-<mode>.sqlite)')
  .argument('<image>', 'Multiboot kernel, or a flat binary with --flat');
inputOptions(machineOptions(record))
  .option('--out <file>', 'trace file (created if needed; several runs may share one)')
  .option('--jitter <seed>', 'raise extra timer interrupts at pseudo-random instruction counts (stored as inputs)')
  .option('--snapshot-interval <n>', 'instructions between snapshots (default 2000000)')
  .option('--gdb <[host:]port>', 'record while gdb debugs the run: stop before the first instruction and wait for gdb')
  .action(async (image: string, opts) => {
    process.exitCode = await recordCommand(image, opts);
  });

program
  .command('replay')
  .description('re-execute a recorded run from the trace alone; --verify compares every event')
  .argument('<file>', 'trace file')
  .option('--run <id>', 'run id (default: the last run in the file)')
  .option('--verify', 'compare every regenerated event with the recorded one')
  .option('--gdb <[host:]port>', 'serve the run to gdb with reverse execution (reverse-stepi, reverse-continue) instead of replaying it')
  .action(async (file: string, opts) => {
    process.exitCode = await replayCommand(file, opts);
  });

program
  .command('at')
  .description('the machine state at an instruction count: registers, hidden segment caches, descriptor tables, CRs, disassembly')
  .argument('<file>', 'trace file')
  .option('--run <id>', 'run id (default: the last run in the file)')
  .option('--icount <n>', 'retired-instruction count')
  .option('--memory <addr[:len]>', "hex dump of LEN bytes (default 64) at a guest linear address or symbol, through the guest's page tables")
  .option('--stack [n]', 'N dwords (default 16) of the guest stack from SS:ESP')
  .option('--events <n>', 'the N events before the point and the N from it on')
  .option('--screen', 'print the 80x25 VGA text screen instead of the processor state')
  .action((file: string, opts) => {
    process.exitCode = atCommand(file, opts);
  });

program
  .command('query')
  .description('SQL over a trace, opened read-only')
  .argument('<file>', 'trace file')
  .argument('<sql>', 'one SQL statement')
  .option('--format <format>', 'table | json | csv', 'table')
  .option('--blobs <how>', 'BLOBs as summary (size and SHA-256) | hex (every byte)', 'summary')
  .action((file: string, sql: string, opts) => {
    process.exitCode = queryCommand(file, sql, opts);
  });

inputOptions(setupOptions(program
  .command('matrix')
  .description('every scenario guest (or the images given) natively and in every monitor mode, each diffed against native: same or the category of the first divergence, and the estimated cost; exits 1 when a scenario cell misses its expectation')
  .argument('[images...]', 'guest images to use instead of the scenario guests (no check against the expected matrix)')
  .option('--max-instructions <n>', 'stop each run after N instructions (default 100000000)')
  .option('--json', 'print one JSON document instead of the table')))
  .action((images: string[], opts) => {
    process.exitCode = matrixCommand(opts, images);
  });

program
  .command('diff')
  .description('where two runs of one guest image first differ in guest-visible state, the category, and the monitor cost; exit 0 same, 1 diverged')
  .argument('<files...>', 'one trace file (with --left and --right) or two trace files')
  .option('--left <run>', 'left run id (one trace file)')
  .option('--right <run>', 'right run id (one trace file)')
  .option('--left-run <run>', 'run id in the first file (two trace files; default 1)')
  .option('--right-run <run>', 'run id in the second file (two trace files; default 1)')
  .option('--cost <file>', 'cost model figures (JSON: roundTrip, shadowFill, emulation) replacing the built-in ones')
  .option('--json', 'print the report as one JSON document')
  .action((files: string[], opts) => {
    process.exitCode = diffCommand(files, opts);
  });

program
  .command('tui')
  .description('the terminal debugger: step, run backwards, watch the hidden segment caches, query events (needs a terminal)')
  .argument('<file>', 'trace file')
  .option('--run <id>', 'run id (default: the only run, or a picker when there are several)')
  .option('--icount <n>', 'open at this retired-instruction count')
  .action(async (file: string, opts) => {
    // The debugger (Ink and React) loads only when asked for: other commands start without it.
    drawEveryFrameOnTerminal();
    const { tuiCommand } = await import('./commands/tui');
    process.exitCode = await tuiCommand(file, opts);
  });

program
  .command('demo')
  .description('records every scenario guest in every mode into traces/demo.sqlite and opens the debugger; without a terminal prints a summary')
  .action(async () => {
    drawEveryFrameOnTerminal();
    const { demoCommand } = await import('./commands/demo');
    process.exitCode = await demoCommand();
  });

// Every command that runs a machine can be told to interpret only.
for (const cmd of program.commands) translatorOption(cmd);
program.hook('preAction', (_program, action) => applyTranslatorChoice(action.opts()));

// Output that goes away (`| head`) is not an error: writes to a closed stdout or stderr end
// quietly (cli/stdout.ts sees EPIPE first for everything the commands print).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  } else {
    process.exitCode = reportError(err);
  }
}
