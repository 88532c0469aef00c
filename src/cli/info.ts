import type { CommandModule } from 'yargs';
import { shutdownBackend, type BackendInfo, type BackendName } from '../backend/index.js';
import { startBackend, withOptions } from './options.js';

interface InfoArgs {
  backend: BackendName;
  threads?: number;
  json: boolean;
}

/** Human-readable report of a backend choice: what runs, what was skipped and why, threads, versions. */
export function formatBackendInfo(info: BackendInfo): string {
  const lines = [
    `backend:   ${info.chosen} (tfjs '${info.active}', requested '${info.requested}')`,
    `threads:   ${info.threads}`,
  ];
  for (const s of info.skipped) lines.push(`skipped:   ${s.name}: ${s.reason}`);
  for (const [name, version] of Object.entries(info.versions)) lines.push(`version:   ${name} ${version}`);
  return lines.join('\n');
}

export const infoCommand: CommandModule<object, InfoArgs> = {
  command: 'info',
  describe: 'Show the compute backend that would be used, the ones skipped and why, threads and versions',
  builder: (y) =>
    withOptions(y, { backend: { describe: 'backend to initialise' }, threads: {}, json: { describe: 'print the BackendInfo as JSON' } }) as never,
  handler: async (args) => {
    try {
      const info = await startBackend(args);
      process.stdout.write((args.json ? JSON.stringify(info, null, 2) : formatBackendInfo(info)) + '\n');
    } catch (err) {
      process.stderr.write(`stereodepth info: ${(err as Error).message}\n`);
      process.exitCode = 1;
    } finally {
      shutdownBackend();
    }
  },
};
