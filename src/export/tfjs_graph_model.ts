/**
 * TF.js graph model exporter: `model.json` in tfjs-converter's graph-model format (format 'graph-model', a GraphDef
 * JSON `modelTopology`, a `signature`, `userDefinedMetadata.stereodepth`) and weight shards of at most 4 MB
 * (`group1-shardKofN.bin`). `tf.loadGraphModel` from @tensorflow/tfjs-converter runs it with no stereodepth code.
 * Precisions: float32, float16 and uint8 weight quantization (the manifest's `quantization` entries); the layers in
 * `floatLayers` (by default the output head) stay float32.
 */
import { join } from 'node:path';

import { writeFileAtomic } from '../util/atomic.js';
import { specOf, type Graph, type GraphConst } from './graph.js';
import { CONV_NODE_OPS, convLayer, inLayers } from './conv_info.js';
import { constNode, DT, tfShape, toTfNodes, type TfNode } from './tf_graph_def.js';
import { encodeFloat16, encodeUint8 } from './weight_quantization.js';
import type { ExportedModel, Exporter, ExportRequest, Precision } from './metadata.js';

export const SHARD_BYTES = 4 * 1024 * 1024;

interface ManifestEntry {
  name: string; shape: number[]; dtype: 'float32' | 'int32' | 'bool';
  quantization?: { dtype: 'float16' } | { dtype: 'uint8'; scale: number; min: number };
}

/** Names of the constants that stay float32: weights of convs in `floatLayers`, scalars and non-weights. */
export function floatConstNames(g: Graph, floatLayers: readonly string[]): Set<string> {
  const keep = new Set<string>();
  for (const n of g.nodes) {
    if (!CONV_NODE_OPS.has(n.op) || !inLayers(convLayer(g, n), floatLayers)) continue;
    for (const slot of ['filter', 'bias']) if (n.inputs[slot]) keep.add(n.inputs[slot]!);
  }
  for (const [name, c] of g.consts) if (c.variable === undefined || c.values.length < 2 || c.dtype !== 'float32') keep.add(name);
  return keep;
}

/** Encodes one constant for the manifest; quantizes float weights not in `keep`. */
function encodeConst(name: string, c: GraphConst, precision: Precision, keep: Set<string>): { entry: ManifestEntry; bytes: Uint8Array } {
  const entry: ManifestEntry = { name, shape: c.shape, dtype: c.dtype };
  const raw = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (keep.has(name) || precision === 'float32' || c.dtype !== 'float32') return { entry, bytes: raw(c.values) };
  if (precision === 'float16') return { entry: { ...entry, quantization: { dtype: 'float16' } }, bytes: raw(encodeFloat16(c.values as Float32Array)) };
  if (precision === 'uint8') {
    const { q, scale, min } = encodeUint8(c.values as Float32Array);
    return { entry: { ...entry, quantization: { dtype: 'uint8', scale, min } }, bytes: q };
  }
  throw new Error(`export tfjs: precision '${precision}' is not a tfjs weight quantization (float32, float16, uint8)`);
}

/** The model.json object and the concatenated weight bytes. */
export function buildGraphModel(req: ExportRequest): { json: Record<string, unknown>; weights: Uint8Array } {
  const g = req.graph;
  const extra = new Map<string, GraphConst>();
  const opNodes = toTfNodes(g, extra);
  const outputName = g.outputNames[0]!;
  const taken = new Set([...g.consts.keys(), ...g.nodes.map((n) => n.name), ...extra.keys(), g.input.name]);
  if (taken.has(outputName)) throw new Error(`export tfjs: output name '${outputName}' collides with a graph node`);
  const nodes: TfNode[] = [
    { name: g.input.name, op: 'Placeholder', attr: { dtype: { type: DT.float32 }, shape: { shape: tfShape(g.input.shape) } } },
    ...[...g.consts].map(([name, c]) => constNode(name, c)),
    ...opNodes,
    { name: outputName, op: 'Identity', input: [g.outputs[0]!], attr: { T: { type: DT.float32 } } },
  ];
  const keep = floatConstNames(g, req.floatLayers);
  const entries: ManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const [name, c] of [...g.consts, ...extra]) {
    const { entry, bytes } = encodeConst(name, c, req.precision, keep);
    entries.push(entry);
    chunks.push(bytes);
  }
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) { weights.set(c, off); off += c.byteLength; }
  const shards = Math.max(1, Math.ceil(total / SHARD_BYTES));
  const outSpec = specOf(g, g.outputs[0]!);
  const json = {
    format: 'graph-model',
    generatedBy: 'stereodepth',
    convertedBy: `stereodepth export (${req.meta.version})`,
    modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
    signature: {
      inputs: { [g.input.name]: { name: `${g.input.name}:0`, dtype: DT.float32, tensorShape: tfShape(g.input.shape) } },
      outputs: { [outputName]: { name: `${outputName}:0`, dtype: DT.float32, tensorShape: tfShape(outSpec.shape) } },
    },
    userDefinedMetadata: { stereodepth: req.meta },
    weightsManifest: [{ paths: Array.from({ length: shards }, (_, i) => `group1-shard${i + 1}of${shards}.bin`), weights: entries }],
  };
  return { json, weights };
}

export const tfjsExporter: Exporter = {
  format: 'tfjs',
  precisions: ['float32', 'float16', 'uint8'],
  async write(req: ExportRequest): Promise<ExportedModel> {
    const { json, weights } = buildGraphModel(req);
    const paths = (json.weightsManifest as { paths: string[] }[])[0]!.paths;
    const files: string[] = [];
    for (const [i, p] of paths.entries()) {
      const file = join(req.dir, p);
      await writeFileAtomic(file, weights.subarray(i * SHARD_BYTES, Math.min(weights.byteLength, (i + 1) * SHARD_BYTES)));
      files.push(file);
    }
    const entry = join(req.dir, 'model.json');
    const text = JSON.stringify(json);
    await writeFileAtomic(entry, text);
    return { format: 'tfjs', precision: req.precision, files: [entry, ...files], bytes: weights.byteLength + Buffer.byteLength(text), entry };
  },
};
