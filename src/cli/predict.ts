import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import { predictImageFiles } from '../infer/images.js';
import { depthScaleFactor, hasMetricScale } from '../models/output_convention.js';
import { netFromCheckpoint } from '../run/build.js';
import { ProgressBar } from '../util/progress.js';

interface PredictArgs {
  inputs: string[];
  checkpoint: string;
  out: string;
  'post-process': boolean;
  focal?: number;
  baseline?: number;
  backend: string;
}

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);

/** Image files named on the command line, folders expanded (sorted, not recursive). */
export function listImages(inputs: string[]): string[] {
  const out: string[] = [];
  for (const p of inputs) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new Error(`predict: ${p} does not exist`);
    }
    if (st.isDirectory()) {
      const files = readdirSync(p).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
      if (files.length === 0) throw new Error(`predict: no .png/.jpg images in folder ${p}`);
      out.push(...files.map((f) => join(p, f)));
    } else out.push(p);
  }
  return out;
}

/** `stereodepth predict`: depth for arbitrary images at any size (colour PNG, 16-bit depth PNG, .npy). */
export const predictCommand: CommandModule<object, PredictArgs> = {
  command: 'predict <inputs..>',
  describe: 'Depth of images or folders of images with a trained checkpoint: <name>_disp.png, <name>_depth.png (depth x 256, uint16), <name>.npy',
  builder: (y) =>
    withOptions(y.positional('inputs', { type: 'string', array: true, describe: 'image files and/or folders' }), {
      checkpoint: required,
      out: required,
      'post-process': {},
      focal: { describe: 'focal in px at the image size (width-fraction models; default: the training rig field of view)' },
      baseline: { describe: 'stereo baseline (m) the model was trained with (default: from the checkpoint)' },
      backend: {},
    }) as never,
  handler: async (argv) => {
    const paths = listImages(argv.inputs);
    await startBackend(argv);
    const { net, output: conv, dir } = await netFromCheckpoint(argv.checkpoint);
    try {
      const rig = conv.rig;
      const baseline = argv.baseline ?? rig?.baseline;
      const knownScale = hasMetricScale(conv, argv.baseline);
      // A width-fraction model's depth needs the focal of each image; without --focal assume the training rig's field of view.
      const camera =
        conv.convention === 'widthFraction' && baseline !== undefined
          ? argv.focal !== undefined
            ? { focal: argv.focal, baseline }
            : rig
              ? { focalOverWidth: rig.focalOverWidth, baseline }
              : null
          : null;
      const bar = new ProgressBar({ label: 'predict', total: paths.length, unit: 'img' });
      let shown = 0;
      const index = await predictImageFiles(net, paths, {
        height: conv.inputHeight,
        width: conv.inputWidth,
        outDir: argv.out,
        convention: conv.convention,
        trainedWith: knownScale || conv.trainedWith === 'mono' ? conv.trainedWith : 'mono',
        ...(conv.minDepth !== undefined ? { minDepth: conv.minDepth, maxDepth: conv.maxDepth } : {}),
        scaleFactor: depthScaleFactor(conv, baseline),
        camera,
        postProcess: argv['post-process'],
        onProgress: (done) => {
          bar.tick(done - shown);
          shown = done;
        },
      });
      bar.finish();
      const kinds = new Set(index.images.map((r) => `${r.depthKind} (${r.depthUnits})`));
      process.stdout.write(`predict: ${index.images.length} image(s) from ${dir} -> ${argv.out}; depth ${[...kinds].join(', ')}\n`);
      for (const n of index.notes) process.stdout.write(`  note: ${n}\n`);
    } finally {
      net.dispose();
    }
  },
};
