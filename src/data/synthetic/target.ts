/**
 * Synthesis writes only where it cannot damage data: into a missing or empty folder, or one holding its own
 * synth_manifest.json (a render to resume). A folder with other content is somebody's dataset: `--set
 * data.train.path=<a real KITTI root>` on a recipe with `synthesize:` must not render a fake drive into it.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SYNTH_MANIFEST = 'synth_manifest.json';

/** Throws naming the folder and some of its entries when synthesis must not write into `out`. */
export function assertSynthesisTarget(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new Error(`synth: output ${out} is a file; expected a folder (empty, or one an earlier synthesis wrote)`);
  if (existsSync(join(out, SYNTH_MANIFEST))) return;
  const entries = readdirSync(out).filter((n) => n !== '.DS_Store');
  if (entries.length === 0) return;
  throw new Error(
    `synth: refusing to render into ${out}: it holds other data (${entries.slice(0, 5).join(', ')}${entries.length > 5 ? `, ... ${entries.length} entries` : ''}) ` +
      `and no ${SYNTH_MANIFEST}, so it is not an earlier synthetic world. Synthesis writes only into an empty folder or its own; ` +
      `choose another folder for the synthetic world, or drop 'synthesize:' from the dataset entry to train on that data`,
  );
}
