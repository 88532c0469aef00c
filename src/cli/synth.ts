import type { CommandModule } from 'yargs';
import { DEFAULT_SIZE, WORLD_NAMES, type WorldName } from '../data/synthetic/layout.js';
import { generateWorld } from '../data/synthetic/writer.js';

interface SynthArgs {
  world: WorldName;
  out: string;
  count: number;
  height?: number;
  width?: number;
  seed: string;
  'frames-per-scene': number;
  supersample: number;
  'image-format': 'png' | 'jpg';
  jobs?: number;
}

/** `stereodepth synth`: render a synthetic world in a real dataset's layout (see src/data/synthetic/writer.ts). */
export const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'Render a synthetic world in the exact layout of KITTI raw, Cityscapes, SimSIN, NYUv2 (.h5) or MAI 2021 (RGB + depth PNG in mm) (resumable)',
  builder: (y) =>
    y
      .option('world', { choices: WORLD_NAMES as WorldName[], demandOption: true, describe: 'which dataset layout and rig' })
      .option('out', { type: 'string', demandOption: true, describe: 'output root (e.g. data/synthetic/kitti)' })
      .option('count', { type: 'number', demandOption: true, describe: 'number of frames (stereo pairs)' })
      .option('height', {
        type: 'number',
        describe: `render height (default per world: ${Object.entries(DEFAULT_SIZE).map(([w, s]) => `${w} ${s.height}x${s.width}`).join(', ')})`,
      })
      .option('width', { type: 'number', describe: 'render width' })
      .option('seed', { type: 'string', default: '0', describe: 'seed: same seed and options give identical files' })
      .option('frames-per-scene', { type: 'number', default: 8, describe: 'frames per drive / room walk (camera moves between them)' })
      .option('supersample', { type: 'number', default: 1, describe: 'colour sub-samples per axis (2 = 2x2 anti-aliasing, ~4x slower)' })
      .option('image-format', { choices: ['png', 'jpg'] as const, default: 'png' as const, describe: 'KITTI / Cityscapes image format' })
      .option('jobs', { type: 'number', describe: 'worker threads (default min(2, cores); output is identical for any value)' }),
  handler: async (argv) => {
    const manifest = await generateWorld({
      world: argv.world,
      out: argv.out,
      count: argv.count,
      height: argv.height,
      width: argv.width,
      seed: argv.seed,
      framesPerScene: argv['frames-per-scene'],
      supersample: argv.supersample,
      imageFormat: argv['image-format'],
      jobs: argv.jobs,
    });
    process.stdout.write(
      `synth: ${manifest.world} ${manifest.count} frames at ${manifest.height}x${manifest.width} in ${argv.out} ` +
        `(${manifest.framesWritten} written, ${manifest.framesSkipped} already complete, ${manifest.seconds?.toFixed(1)} s); ` +
        `splits: ${Object.values(manifest.splits).map((s) => s.train.replace(/\/train_files\.txt$/, '')).join(', ')}\n`,
    );
  },
};
