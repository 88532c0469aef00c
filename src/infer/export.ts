/**
 * Deployable model export: a folder with `model.json` (the network's config, its output convention and rig, and a
 * standard tfjs weights manifest) and `weights.bin` (tfjs's weight encoding). A browser or device app loads it with
 * tfjs-core alone (tf.io.decodeWeights) and rebuilds the same network with `loadExportedModel`. Only the depth
 * network is exported: no optimiser state, no pose net, no distillation adapters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

import type { DepthNetSpec } from '../models/build.js';
import type { LossKind } from '../models/output_convention.js';
import type { DepthNet } from '../models/types.js';
import { loadInto } from '../models/weights.js';
import { writeFileAtomic } from '../util/atomic.js';
import { parseOutputConvention, type OutputConvention, type Rig } from '../models/output_convention.js';
import { depthNetFromSpec } from '../models/build.js';

export const EXPORT_FORMAT = 'stereodepth-depthnet/1';

export interface ExportedModelJson {
  format: typeof EXPORT_FORMAT;
  /** How to rebuild the network (the run config's model and loss kind). */
  model: DepthNetSpec;
  lossKind: LossKind;
  /** What the net outputs, with its rig and input size (the output convention module converts with it). */
  output: OutputConvention;
  /** Copies of output.inputHeight / inputWidth / rig, as format /1 has always had them at the top level. */
  inputHeight: number;
  inputWidth: number;
  rig?: Rig;
  weightsManifest: tf.io.WeightsManifestConfig;
}

/**
 * The output convention of an exported model.json. Exports written before the convention carried the input size and
 * rig have them at the top level only (and a scale factor baked at the rig's baseline, which stays authoritative).
 */
export function exportedOutputConvention(meta: ExportedModelJson, where: string): OutputConvention {
  const stored: Partial<OutputConvention> = meta.output ?? {};
  const rig = stored.rig ?? meta.rig;
  const output = { inputHeight: meta.inputHeight, inputWidth: meta.inputWidth, ...stored, ...(rig ? { rig } : {}) };
  return parseOutputConvention(output, where);
}

/** Writes model.json + weights.bin for the depth net's variables (encoder/ and depth/ only). */
export async function exportDepthNet(
  net: DepthNet,
  dir: string,
  meta: Pick<ExportedModelJson, 'model' | 'lossKind' | 'output'>,
): Promise<{ modelJson: string; weights: string; bytes: number }> {
  const vars = Object.fromEntries(Object.entries(net.allVariables()).filter(([k]) => k.startsWith('encoder/') || k.startsWith('depth/')));
  const { data, specs } = await tf.io.encodeWeights(vars);
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(tf.io.concatenateArrayBuffers(data));
  const { inputHeight, inputWidth, rig } = meta.output;
  const json: ExportedModelJson = { format: EXPORT_FORMAT, model: meta.model, lossKind: meta.lossKind, output: meta.output, inputHeight, inputWidth, ...(rig ? { rig } : {}), weightsManifest: [{ paths: ['weights.bin'], weights: specs }] };
  const weights = join(dir, 'weights.bin');
  const modelJson = join(dir, 'model.json');
  await writeFileAtomic(weights, bytes);
  await writeFileAtomic(modelJson, JSON.stringify(json, null, 1));
  return { modelJson, weights, bytes: bytes.byteLength };
}

/** Rebuilds an exported network (Node: from a folder). */
export async function loadExportedModel(dir: string): Promise<{ net: DepthNet; meta: ExportedModelJson; output: OutputConvention }> {
  const path = join(dir, 'model.json');
  if (!existsSync(path)) throw new Error(`exported model not found: expected ${path}`);
  let meta: ExportedModelJson;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as ExportedModelJson;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (meta.format !== EXPORT_FORMAT) throw new Error(`${path}: format '${String(meta.format)}', expected '${EXPORT_FORMAT}'`);
  const output = exportedOutputConvention(meta, path);
  const group = meta.weightsManifest[0];
  if (!group || group.paths.length !== 1) throw new Error(`${path}: expected one weights group with one file`);
  const binPath = join(dir, group.paths[0]!);
  if (!existsSync(binPath)) throw new Error(`${path}: weights file ${binPath} is missing`);
  const buf = readFileSync(binPath);
  const tensors = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), group.weights);
  const net = depthNetFromSpec(meta.model, meta.lossKind, 0);
  try {
    loadInto(net.allVariables(), tensors, { strict: true });
  } catch (err) {
    net.dispose();
    throw new Error(`${path}: ${(err as Error).message}`);
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { net, meta, output };
}
