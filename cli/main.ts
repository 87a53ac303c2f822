/** The `ringside` command line. */
import { Command, CommanderError } from 'commander';
import { reportError, EXIT_BAD_INPUT } from './errors';
import { runCommand } from './commands/run';

const program = new Command();
program
  .name('ringside')
  .description('record/replay debugger for IA-32 virtual machines')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.split('\n')[0] + '\n') });

program
  .command('run')
  .description("run a guest without recording; its UART goes to stdout; exits with the guest's debug-exit code")
  .argument('<image>', 'Multiboot kernel (ELF32 or a.out kludge), or a flat binary with --flat')
  .option('--mode <mode>', 'native | sw-013 | sw-033 | vtx', 'native')
  .option('--shadow <kind>', 'sw-033 shadow page tables: split | shared')
  .option('--max-instructions <n>', 'stop after N retired instructions (exit code 124)')
  .option('--cmdline <string>', 'Multiboot command line')
  .option('--flat <address>', 'load IMAGE as a flat binary at this address and start there')
  .option('--ram <size>', 'RAM size (default 128M)')
  .option('--input <file>', 'bytes fed to the UART receiver')
  .option('--module <file...>', 'Multiboot module (repeatable), like qemu -initrd')
  .action((image: string, opts) => {
    process.exitCode = runCommand(image, opts);
  });

try {
  program.parse();
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
  } else {
    process.exitCode = reportError(err);
  }
}
