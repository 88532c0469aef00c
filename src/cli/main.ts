import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import type { CommandModule } from 'yargs';

import { shutdownBackend } from '../backend/index.js';
import { commands } from './commands.js';

/** Entry point of the `stereodepth` command. One module per sub-command lives beside this file. */
export async function main(argv: string[]): Promise<void> {
  let cli = yargs(argv)
    .scriptName('stereodepth')
    .strict()
    .demandCommand(1, 'Name a command (see --help).')
    .recommendCommands()
    // A handler's error is reported as one line by the catch below, not as a help dump; a usage error names
    // the problem and points at --help.
    .fail((message, err) => {
      if (err) throw err;
      throw new Error(`${message}\n(run 'stereodepth <command> --help' for the options)`);
    })
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 110));
  for (const command of commands) cli = cli.command(command as CommandModule);
  await cli.parseAsync();
  // The threaded wasm build keeps pthread workers alive; release them so the process exits.
  shutdownBackend();
}

main(hideBin(process.argv)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`stereodepth: ${message}\n`);
  if (process.env.STEREODEPTH_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  process.exit(1);
});
