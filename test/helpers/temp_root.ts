/**
 * Vitest global setup: every temp folder the tests make (theirs and their child processes', through os.tmpdir()) goes
 * under one folder that is removed when the run ends, so `npm test` leaves nothing behind. The training, supervised and
 * reliability tests write 0.8-1.4 GB of runs each; left in the system temp folder, a few runs filled this machine's disk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'stereodepth-tests-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
