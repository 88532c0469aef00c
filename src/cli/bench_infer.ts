/**
 * `stereodepth bench --infer`: exports each model (a preset with its initial weights, or --checkpoint) as TF.js and
 * ONNX (fp32 and int8) into a scratch folder and times the exported files through every runtime present (tfjs wasm,
 * tfjs tensorflow when installed, onnxruntime-node fp32 and int8): what users run. With --checkpoint, the fp32 and int8
 * ONNX models are also evaluated on its run config's --eval-split (abs_rel change).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Argv } from 'yargs';

import { initBackend } from '../backend/index.js';
import { createModel } from '../models/registry.js';
import type { DepthNet } from '../models/types.js';
import { netFromCheckpoint } from '../run/build.js';
import { calibrationInputs, evaluationSamples, type SplitName } from '../run/split_inputs.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseSize, type Size } from '../export/depth_graph.js';
import { exportModels } from '../export/export_models.js';
import { countGraph } from '../export/flops.js';
import { benchExportedModels, inferBenchTable, type InferBenchRow, type InferBenchSkip } from '../export/bench_infer.js';
import { evaluateLoaded } from '../export/evaluate_exported.js';
import { loadInRuntime, RUNTIMES, type RuntimeName } from '../export/runtimes.js';
import type { OutputConvention } from '../models/output_convention.js';

export interface InferBenchArgs {
  models: string[];
  checkpoint?: string;
  sizes: string[];
  'io-size'?: string;
  runtimes: string[];
  runs: number;
  warmup: number;
  int8: boolean;
  'calibration-images': number;
  'eval-split': SplitName;
  'eval-images'?: number;
  threads?: number;
  out?: string;
}

export function withInferOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('infer', { type: 'boolean', default: false, describe: 'inference bench of exported models (tfjs / onnxruntime) instead of the training step' })
    .option('models', { type: 'string', array: true, default: ['monodepth2_resnet18'], describe: '--infer: model presets (initial weights: timing and FLOPs do not depend on them)' })
    .option('checkpoint', { type: 'string', describe: '--infer: a trained checkpoint instead of presets (adds the int8 vs fp32 abs_rel change)' })
    .option('sizes', { type: 'string', array: true, default: ['192x640'], describe: '--infer: network input sizes HxW' })
    .option('io-size', { type: 'string', describe: '--infer: model in/out size HxW with the resize inside the model' })
    .option('runtimes', { type: 'string', array: true, default: ['tfjs-wasm', 'tfjs-tensorflow', 'ort-node'], describe: `--infer: of ${RUNTIMES.join(', ')}` })
    .option('runs', { type: 'number', default: 20, describe: '--infer: timed runs per model and runtime (after warm-up)' })
    .option('warmup', { type: 'number', default: 3 })
    .option('int8', { type: 'boolean', default: true, describe: '--infer: also export and time ONNX int8 (QDQ)' })
    .option('calibration-images', { type: 'number', default: 100, describe: '--infer --checkpoint: int8 calibration images of the train split' })
    .option('eval-split', { choices: ['val', 'test'], default: 'test', describe: '--infer --checkpoint: split with GT for the abs_rel change' })
    .option('eval-images', { type: 'number', describe: '--infer --checkpoint: at most this many eval images (default: all)' }) as Argv<T>;
}

interface Subject { name: string; net: DepthNet; conv: OutputConvention; checkpoint?: Awaited<ReturnType<typeof netFromCheckpoint>> }

function presetConvention(size: Size): OutputConvention {
  return { convention: 'sigmoid', trainedWith: 'stereo', minDepth: 0.1, maxDepth: 100, inputHeight: size.height, inputWidth: size.width };
}

export async function runInferBench(argv: InferBenchArgs): Promise<void> {
  const runtimes = argv.runtimes.map((r) => {
    if (!(RUNTIMES as readonly string[]).includes(r)) throw new Error(`--runtimes: unknown runtime '${r}'; expected ${RUNTIMES.join(', ')}`);
    return r as RuntimeName;
  });
  await initBackend('wasm', argv.threads ? { threads: argv.threads } : {});
  const scratch = mkdtempSync(join(tmpdir(), 'sd-bench-infer-'));
  const rows: InferBenchRow[] = [];
  const skips: InferBenchSkip[] = [];
  const accuracy: { model: string; split: string; images: number; absRel: Record<string, number> }[] = [];
  const log = (l: string) => process.stderr.write(`bench --infer: ${l}\n`);
  try {
    for (const sizeText of argv.sizes) {
      const size = parseSize(sizeText, '--sizes');
      const io = argv['io-size'] ? parseSize(argv['io-size'], '--io-size') : size;
      const subjects: Subject[] = [];
      if (argv.checkpoint) {
        await initBackend('wasm', argv.threads ? { threads: argv.threads } : {});
        const c = await netFromCheckpoint(argv.checkpoint);
        subjects.push({ name: c.config.model.name, net: c.net, conv: c.output, checkpoint: c });
      } else {
        for (const m of argv.models) subjects.push({ name: m, net: createModel(m), conv: presetConvention(size) });
      }
      for (const s of subjects) {
        const calibration: tf.Tensor[] = [];
        try {
          await initBackend('wasm', argv.threads ? { threads: argv.threads } : {});
          if (argv.int8) {
            if (s.checkpoint) calibration.push(...await calibrationInputs(s.checkpoint.config, 'train', argv['calibration-images'], io, log));
            else for (let i = 0; i < 4; i++) calibration.push(tf.randomUniform([1, io.height, io.width, 3], 0, 1, 'float32', i));
          }
          const outDir = join(scratch, `${s.name}_${sizeText}`);
          const run = await exportModels({
            net: s.net, modelName: s.name, outDir, formats: ['tfjs', 'onnx'], quantize: argv.int8 ? ['int8'] : [], calibration,
            graph: { net: size, io, output: 'disparity', convention: s.conv }, log,
          });
          const r = await benchExportedModels({
            model: s.name, exported: run.models, cost: countGraph(run.graph), inputShape: [1, io.height, io.width, 3],
            netSize: sizeText, runtimes, warmup: argv.warmup, runs: argv.runs, log, ...(argv.threads ? { threads: argv.threads } : {}),
          });
          rows.push(...r.rows);
          skips.push(...r.skips);
          if (s.checkpoint && argv.int8) {
            const samples = await evaluationSamples(s.checkpoint.config, argv['eval-split'], argv['eval-images'] ?? null, log);
            const absRel: Record<string, number> = {};
            for (const m of run.models.filter((x) => x.format === 'onnx')) {
              const loaded = await loadInRuntime(join(m.entry, '..'), 'ort-node', argv.threads ? { threads: argv.threads } : {});
              try { absRel[m.precision] = (await evaluateLoaded(loaded, samples, s.conv, s.checkpoint.config.eval, io)).metrics.absRel; } finally { await loaded.dispose(); }
            }
            accuracy.push({ model: s.name, split: argv['eval-split'], images: samples.length, absRel });
          }
        } finally {
          tf.dispose(calibration);
          s.net.dispose();
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const out: string[] = [inferBenchTable(rows)];
  for (const k of skips) out.push(`skipped ${k.runtime} (${k.precision}): ${k.reason}`);
  for (const a of accuracy) {
    out.push(`${a.model} on the ${a.split} split (${a.images} images, onnxruntime-node): abs_rel fp32 ${a.absRel.float32?.toFixed(4)}, int8 ${a.absRel.int8?.toFixed(4)} (change ${((a.absRel.int8 ?? NaN) - (a.absRel.float32 ?? NaN)).toFixed(4)})`);
  }
  const fastest = [...rows].sort((a, b) => a.medianMs - b.medianMs)[0];
  if (fastest) out.push(`fastest: ${fastest.model} ${fastest.ioSize} on ${fastest.runtime} ${fastest.precision}, ${fastest.fps.toFixed(1)} frames/s (median ${fastest.medianMs.toFixed(1)} ms)`);
  out.push('timings on a shared machine: other jobs were running; compare rows of one run, not across runs');
  process.stdout.write(out.join('\n') + '\n');
  if (argv.out) await writeFileAtomic(argv.out, JSON.stringify({ rows, skips, accuracy }, null, 2) + '\n');
}
