/**
 * The deployable model format `stereodepth-depthnet/1`: `model.json` (how to rebuild the network, its output convention,
 * a standard tfjs weights manifest) + `weights.bin` (tfjs's weight encoding). Building and reading it needs tfjs-core
 * only, so Node (infer/export.ts writes and reads the files) and the browser entry (src/web) share this module.
 */
import * as tf from '@tensorflow/tfjs-core';

import { depthNetFromSpec, type DepthNetSpec } from './build.js';
import { parseOutputConvention, type LossKind, type OutputConvention, type Rig } from './output_convention.js';
import type { DepthNet } from './types.js';
import { loadInto } from './weights.js';

export const EXPORT_FORMAT = 'stereodepth-depthnet/1';

/** What a loader needs besides the weights; also stored as `userDefinedMetadata.stereodepth`, which tfjs IOHandlers keep. */
export interface ExportedModelMeta {
  /** How to rebuild the network (the run config's model section and loss kind). */
  model: DepthNetSpec;
  lossKind: LossKind;
  /** What the net outputs, with its rig and input size (the output convention module converts with it). */
  output: OutputConvention;
}

export interface ExportedModelJson extends ExportedModelMeta {
  format: typeof EXPORT_FORMAT;
  /** Copies of output.inputHeight / inputWidth / rig, as format /1 has always had them at the top level. */
  inputHeight: number;
  inputWidth: number;
  rig?: Rig;
  weightsManifest: tf.io.WeightsManifestConfig;
  userDefinedMetadata?: { stereodepth: ExportedModelMeta };
}

/**
 * The output convention of an exported model.json. Exports written before the convention carried the input size and
 * rig have them at the top level only (and a scale factor baked at the rig's baseline, which stays authoritative).
 */
export function exportedOutputConvention(meta: Pick<ExportedModelJson, 'output'> & Partial<ExportedModelJson>, where: string): OutputConvention {
  const stored: Partial<OutputConvention> = meta.output ?? {};
  const rig = stored.rig ?? meta.rig;
  const output = { inputHeight: meta.inputHeight, inputWidth: meta.inputWidth, ...stored, ...(rig ? { rig } : {}) };
  return parseOutputConvention(output, where);
}

/** model.json and the weights.bin bytes of a depth net (its encoder/ and depth/ variables only). */
export async function encodeExportedModel(net: DepthNet, meta: ExportedModelMeta, weightsFile = 'weights.bin'): Promise<{ json: ExportedModelJson; weights: Uint8Array }> {
  const vars = Object.fromEntries(Object.entries(net.allVariables()).filter(([k]) => k.startsWith('encoder/') || k.startsWith('depth/')));
  const { data, specs } = await tf.io.encodeWeights(vars);
  const weights = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data));
  const { inputHeight, inputWidth, rig } = meta.output;
  const json: ExportedModelJson = {
    format: EXPORT_FORMAT,
    model: meta.model,
    lossKind: meta.lossKind,
    output: meta.output,
    inputHeight,
    inputWidth,
    ...(rig ? { rig } : {}),
    weightsManifest: [{ paths: [weightsFile], weights: specs }],
    userDefinedMetadata: { stereodepth: { model: meta.model, lossKind: meta.lossKind, output: meta.output } },
  };
  return { json, weights };
}

/** The rebuild information of a loaded model.json or tfjs ModelArtifacts (userDefinedMetadata, else the top level). */
export function exportedModelMeta(artifacts: Partial<ExportedModelJson> & { userDefinedMetadata?: unknown }, where: string): ExportedModelMeta {
  const fromMetadata = (artifacts.userDefinedMetadata as { stereodepth?: ExportedModelMeta } | undefined)?.stereodepth;
  const source = fromMetadata ?? artifacts;
  if (artifacts.format !== undefined && artifacts.format !== EXPORT_FORMAT) throw new Error(`${where}: format '${String(artifacts.format)}', expected '${EXPORT_FORMAT}'`);
  if (!source.model || !source.lossKind) throw new Error(`${where}: not a ${EXPORT_FORMAT} model (no model / lossKind; expected the model.json that \`stereodepth export\` writes)`);
  return { model: source.model, lossKind: source.lossKind, output: exportedOutputConvention({ ...artifacts, output: source.output! }, where) };
}

/** Rebuilds the network of `meta` and assigns the decoded weights (every variable must be there, with its shape). */
export function depthNetFromWeights(meta: ExportedModelMeta, specs: tf.io.WeightsManifestEntry[], data: ArrayBuffer, where: string): DepthNet {
  const tensors = tf.io.decodeWeights(data, specs);
  const net = depthNetFromSpec(meta.model, meta.lossKind, 0);
  try {
    loadInto(net.allVariables(), tensors, { strict: true });
  } catch (err) {
    net.dispose();
    throw new Error(`${where}: ${(err as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return net;
}
