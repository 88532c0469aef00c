/**
 * Speed check of the synthetic world (a benchmark, not a unit test): renders a 256-frame KITTI world at
 * 192x640 into a temp folder and prints frames/s. Run: `npx tsx src/data/synthetic/bench.ts [count]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWorld } from './writer.js';

const count = Number(process.argv[2] ?? 256);
const out = mkdtempSync(join(tmpdir(), 'synth-bench-'));
const t0 = Date.now();
try {
  await generateWorld({ world: 'kitti', out, count, height: 192, width: 640, seed: 'bench' });
  const s = (Date.now() - t0) / 1000;
  process.stdout.write(`synth bench: ${count} KITTI frames at 192x640 in ${s.toFixed(1)} s (${(count / s).toFixed(2)} frames/s)\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
