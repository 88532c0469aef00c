/**
 * What travels with an exported model (tfjs `userDefinedMetadata.stereodepth`, ONNX `metadata_props`): what the output
 * means, the rig, the sizes, and how the weights were reduced. Also the Exporter interface every format implements.
 */
import { hasMetricScale, type OutputConvention } from '../models/output_convention.js';
import type { Graph } from './graph.js';
import type { ExportOutput, Size } from './depth_graph.js';

export const EXPORT_METADATA_VERSION = 'stereodepth-export/1';

export interface ExportMetadata {
  version: typeof EXPORT_METADATA_VERSION;
  /** Model preset name (e.g. monodepth2_resnet18). */
  model: string;
  /** The network's own input size, and the model's input/output size (equal when there is no in-model resize). */
  netSize: Size;
  ioSize: Size;
  /** Input: NHWC float32 RGB in [0, 1], batch 1. */
  input: { name: string; layout: 'NHWC'; range: [0, 1] };
  output: { name: string; kind: ExportOutput; units: string };
  convention: OutputConvention;
  /** Weight precision and the layers left in float32. */
  precision: string;
  floatLayers: string[];
  checkpoint?: string;
}

export type Precision = 'float32' | 'float16' | 'uint8' | 'int8';

export interface ExportRequest {
  graph: Graph;
  dir: string;
  meta: ExportMetadata;
  precision: Precision;
  /** Layers (variable prefixes such as `depth/dispconv_0`) kept in float32 when quantizing. */
  floatLayers: string[];
  /** int8 only: per tensor [min, max] of the activations seen on calibration images. */
  activationRanges?: Map<string, [number, number]>;
}

export interface ExportedModel { format: string; precision: Precision; files: string[]; bytes: number; entry: string }

/** One exporter per format (one file each + one line in registry.ts). */
export interface Exporter {
  readonly format: string;
  readonly precisions: readonly Precision[];
  write(req: ExportRequest): Promise<ExportedModel>;
}

/** Units of the output for the metadata and the report. */
export function outputUnits(kind: ExportOutput, conv: OutputConvention): string {
  if (kind === 'disparity') return conv.convention === 'sigmoid' ? 'sigmoid disparity in [0, 1] (monodepth2)' : `${conv.convention} disparity`;
  return hasMetricScale(conv) ? 'metres' : 'relative depth (no metric scale: mono-trained, or a width-fraction net without its rig)';
}
