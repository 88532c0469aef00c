/**
 * Deployable model export on disk: a folder with `model.json` + `weights.bin` in the `stereodepth-depthnet/1` format
 * (models/exported_model.ts). A browser or device app loads it with tfjs-core alone (the `stereodepth/web` entry);
 * Node rebuilds it with `loadExportedModel`. Only the depth network is exported: no optimiser state, no pose net, no
 * distillation adapters.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { depthNetFromWeights, encodeExportedModel, exportedModelMeta, type ExportedModelJson, type ExportedModelMeta } from '../models/exported_model.js';
import type { OutputConvention } from '../models/output_convention.js';
import type { DepthNet } from '../models/types.js';
import { writeFileAtomic } from '../util/atomic.js';

export { EXPORT_FORMAT, type ExportedModelJson } from '../models/exported_model.js';

/** Writes model.json + weights.bin for the depth net's variables (encoder/ and depth/ only). */
export async function exportDepthNet(net: DepthNet, dir: string, meta: ExportedModelMeta): Promise<{ modelJson: string; weights: string; bytes: number }> {
  const { json, weights: bytes } = await encodeExportedModel(net, meta);
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
  let json: ExportedModelJson;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as ExportedModelJson;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (json.format === undefined) throw new Error(`${path}: no 'format' key; expected a stereodepth-depthnet/1 model.json`);
  const meta = exportedModelMeta(json, path);
  const group = json.weightsManifest?.[0];
  if (!group || group.paths.length !== 1) throw new Error(`${path}: expected one weights group with one file`);
  const binPath = join(dir, group.paths[0]!);
  if (!existsSync(binPath)) throw new Error(`${path}: weights file ${binPath} is missing`);
  const buf = readFileSync(binPath);
  const net = depthNetFromWeights(meta, group.weights, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, path);
  return { net, meta: json, output: meta.output };
}
