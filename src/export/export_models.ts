/**
 * One export run: trace the depth net once (depth_graph.ts), then write every requested format x precision through
 * the exporter registry. Folders: `<out>/<format>` for float32, `<out>/<format>_<precision>` for reduced precision.
 * float16 / uint8 are tfjs weight encodings; int8 is ONNX static QDQ and needs calibration images.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';

import type { DepthNet } from '../models/types.js';
import type { OutputConvention } from '../models/output_convention.js';
import { depthNetGraph, type DepthGraphOptions } from './depth_graph.js';
import { calibrateRanges } from './calibrate.js';
import { outputHeadLayers } from './conv_info.js';
import type { Graph } from './graph.js';
import { EXPORT_METADATA_VERSION, outputUnits, type ExportedModel, type ExportMetadata, type Precision } from './metadata.js';
import { exporterFor } from './registry.js';

export const EXPORT_FORMATS = ['tfjs', 'onnx'] as const;
export const PRECISIONS: readonly Precision[] = ['float32', 'float16', 'uint8', 'int8'];

export interface ExportJob {
  net: DepthNet;
  modelName: string;
  graph: DepthGraphOptions & { convention: OutputConvention };
  formats: readonly string[];
  /** Precisions besides float32 (always written). */
  quantize?: readonly Precision[];
  /** Layers kept float when quantizing (default: the output head). */
  floatLayers?: readonly string[];
  /** Calibration inputs at the model's io size ([1, H, W, 3] in [0, 1]); needed for int8. */
  calibration?: tf.Tensor[];
  outDir: string;
  checkpoint?: string;
  log?: (line: string) => void;
}

export interface ExportRun { graph: Graph; floatLayers: string[]; models: ExportedModel[] }

/** The (format, precision) pairs a request means; a precision no requested format has is an error. */
export function exportTargets(formats: readonly string[], quantize: readonly Precision[]): { format: string; precision: Precision }[] {
  const targets: { format: string; precision: Precision }[] = [];
  for (const format of formats) {
    const exporter = exporterFor(format);
    for (const precision of ['float32', ...quantize] as Precision[]) {
      if (exporter.precisions.includes(precision) && !targets.some((t) => t.format === format && t.precision === precision)) targets.push({ format, precision });
    }
  }
  for (const q of quantize) {
    if (!targets.some((t) => t.precision === q)) {
      throw new Error(`export --quantize ${q}: none of the formats ${formats.join(', ')} has it (float16/uint8: tfjs, int8: onnx)`);
    }
  }
  return targets;
}

export function modelDir(outDir: string, format: string, precision: Precision): string {
  return join(outDir, precision === 'float32' ? format : `${format}_${precision}`);
}

export function exportMetadata(job: ExportJob, precision: Precision, floatLayers: string[]): ExportMetadata {
  const kind = job.graph.output ?? 'disparity';
  return {
    version: EXPORT_METADATA_VERSION,
    model: job.modelName,
    netSize: job.graph.net,
    ioSize: job.graph.io ?? job.graph.net,
    input: { name: 'image', layout: 'NHWC', range: [0, 1] },
    output: { name: kind, kind, units: outputUnits(kind, job.graph.convention) },
    convention: job.graph.convention,
    precision,
    floatLayers: precision === 'float32' ? [] : floatLayers,
    ...(job.checkpoint ? { checkpoint: job.checkpoint } : {}),
  };
}

export async function exportModels(job: ExportJob): Promise<ExportRun> {
  const quantize = job.quantize ?? [];
  const targets = exportTargets(job.formats, quantize);
  const graph = depthNetGraph(job.net, job.graph);
  const floatLayers = [...(job.floatLayers ?? outputHeadLayers(graph))];
  let ranges: Map<string, [number, number]> | undefined;
  if (targets.some((t) => t.precision === 'int8')) {
    if (!job.calibration?.length) throw new Error('export --quantize int8: needs calibration images (--calibration-split / the run config\'s validation split)');
    job.log?.(`calibrating int8 activation ranges on ${job.calibration.length} images`);
    ranges = calibrateRanges(graph, job.calibration);
  }
  const models: ExportedModel[] = [];
  for (const { format, precision } of targets) {
    const model = await exporterFor(format).write({
      graph, dir: modelDir(job.outDir, format, precision), meta: exportMetadata(job, precision, floatLayers),
      precision, floatLayers, ...(ranges ? { activationRanges: ranges } : {}),
    });
    job.log?.(`${format} ${precision}: ${model.entry} (${(model.bytes / 2 ** 20).toFixed(2)} MiB)`);
    models.push(model);
  }
  return { graph, floatLayers, models };
}
