/**
 * ONNX exporter: `model.onnx` (opset 17, written by the protobuf encoder in onnx_proto.ts) that onnxruntime-node and
 * onnxruntime-web run; input `image` [1, H, W, 3] NHWC in [0, 1], output [1, H, W, 1]; `metadata_props` carry the
 * convention, rig and sizes (one JSON value per key). Precisions: float32, and int8 (static QDQ from calibrated
 * activation ranges; the layers in `floatLayers`, by default the output head, stay float).
 */
import { join } from 'node:path';

import { writeFileAtomic } from '../util/atomic.js';
import { encodeOnnxModel } from './onnx_proto.js';
import { graphToOnnx } from './onnx_graph.js';
import type { ExportedModel, Exporter, ExportMetadata, ExportRequest } from './metadata.js';

/** metadata_props: every metadata field as a string (JSON for objects), plus the whole record under `stereodepth`. */
export function onnxMetadataProps(meta: ExportMetadata): Record<string, string> {
  const props: Record<string, string> = { stereodepth: JSON.stringify(meta) };
  for (const [k, v] of Object.entries(meta)) props[k] = typeof v === 'string' ? v : JSON.stringify(v);
  return props;
}

export const onnxExporter: Exporter = {
  format: 'onnx',
  precisions: ['float32', 'int8'],
  async write(req: ExportRequest): Promise<ExportedModel> {
    if (req.precision !== 'float32' && req.precision !== 'int8') throw new Error(`export onnx: precision '${req.precision}' is not available (float32, int8)`);
    if (req.precision === 'int8' && !req.activationRanges) throw new Error('export onnx int8: needs calibrated activation ranges (calibration images)');
    const model = graphToOnnx(req.graph, onnxMetadataProps(req.meta),
      req.precision === 'int8' ? { ranges: req.activationRanges!, floatLayers: req.floatLayers } : undefined);
    const bytes = encodeOnnxModel(model);
    const entry = join(req.dir, 'model.onnx');
    await writeFileAtomic(entry, bytes);
    return { format: 'onnx', precision: req.precision, files: [entry], bytes: bytes.byteLength, entry };
  },
};
