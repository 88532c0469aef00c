import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { CommandModule } from 'yargs';

import { required, startBackend, withOptions } from './options.js';
import { predictImageFiles } from '../infer/images.js';
import { MOTION_MODES, keyframeDepthNet, type MotionMode } from '../infer/keyframes.js';
import { decodeVideo, encodeVideo, hasTool, isVideoFile, sequenceTiming } from '../infer/video.js';
import { depthScaleFactor, hasMetricScale } from '../models/output_convention.js';
import { netFromCheckpoint } from '../run/build.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ProgressBar } from '../util/progress.js';

interface PredictArgs {
  inputs: string[];
  checkpoint: string;
  out: string;
  'post-process': boolean;
  focal?: number;
  baseline?: number;
  backend: string;
  'keyframe-every'?: number;
  motion: MotionMode;
  fps?: number;
  video: boolean;
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
    })
      .option('keyframe-every', { type: 'number', describe: 'video: the inputs are consecutive frames (a folder, or a video file with ffmpeg); every K-th frame runs the whole net, the frames between reuse its deep encoder features' })
      .option('motion', { choices: MOTION_MODES, default: 'none' as const, describe: 'with --keyframe-every: reuse the keyframe features as they are (none: better on driving video, docs/experiments.md) or shifted by the global image motion since the keyframe (shift: for camera pans)' })
      .option('fps', { type: 'number', describe: 'frame rate of the depth video (default: the input video\'s, 10 for frames)' })
      .option('video', { type: 'boolean', default: true, describe: 'for a video or --keyframe-every: also write depth.mp4 of the colour-mapped depth (needs ffmpeg)' }) as never,
  handler: async (argv) => {
    const keyframeEvery = argv['keyframe-every'];
    if (keyframeEvery !== undefined && argv['post-process']) throw new Error('predict: --post-process runs each frame twice (flipped) and cannot reuse keyframe features; drop one of them');
    const videoInput = argv.inputs.length === 1 && isVideoFile(argv.inputs[0]!) ? argv.inputs[0]! : undefined;
    if (videoInput === undefined && argv.inputs.some(isVideoFile)) throw new Error('predict: give a video file alone (one sequence per run), not with other inputs');
    const decoded = videoInput !== undefined ? decodeVideo(videoInput) : undefined;
    try {
      await predictSequenceOrImages(argv, decoded ? decoded.frames : listImages(argv.inputs), decoded?.fps);
    } finally {
      decoded?.cleanup();
    }
  },
};

/** Predicts `paths` (one sequence when --keyframe-every is given or a video was decoded) and writes the outputs. */
async function predictSequenceOrImages(argv: PredictArgs, paths: string[], videoFps: number | undefined): Promise<void> {
  const keyframeEvery = argv['keyframe-every'];
  await startBackend(argv);
  const { net, output: conv, dir } = await netFromCheckpoint(argv.checkpoint);
  const model = keyframeEvery !== undefined ? keyframeDepthNet(net, { every: keyframeEvery, motion: argv.motion }) : undefined;
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
    const index = await predictImageFiles(model ?? net, paths, {
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
    if (index.failed.length > 0) {
      process.stderr.write(`predict: ${index.failed.length} of ${paths.length} image(s) failed (listed under "failed" in ${argv.out}/predictions.json):\n`);
      for (const f of index.failed) process.stderr.write(`  ${f.error}\n`);
      process.exitCode = 1;
    }
    if (model) {
      const timing = sequenceTiming(model.stats);
      await writeFileAtomic(join(argv.out, 'sequence.json'), JSON.stringify({ keyframeEvery, motion: argv.motion, ...timing, shifts: model.stats.shifts }, null, 2) + '\n');
      process.stdout.write(`  keyframes: ${timing.keyframes}/${timing.frames} frames; network ${timing.msPerKeyframe.toFixed(1)} ms per keyframe, ` +
        `${timing.msPerBetween?.toFixed(1) ?? '-'} ms per frame between, ${timing.msPerFrame.toFixed(1)} ms per frame on average (sequence.json)\n`);
    }
    if ((videoFps !== undefined || model) && argv.video) {
      if (!hasTool('ffmpeg')) process.stdout.write('  note: no ffmpeg on the PATH: depth frames written, no depth.mp4\n');
      else {
        const fps = argv.fps ?? videoFps ?? 10;
        encodeVideo(index.images.map((r) => join(argv.out, r.disparityPng)), fps, join(argv.out, 'depth.mp4'));
        process.stdout.write(`  depth video: ${join(argv.out, 'depth.mp4')} (${fps.toFixed(2)} frames/s)\n`);
      }
    }
  } finally {
    model?.dispose();
    net.dispose();
  }
}
