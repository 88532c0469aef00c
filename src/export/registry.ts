/** Exporters by format name: one line per format. */
import type { Exporter } from './metadata.js';
import { tfjsExporter } from './tfjs_graph_model.js';
import { onnxExporter } from './onnx_model.js';

export const EXPORTERS: Readonly<Record<string, Exporter>> = {
  tfjs: tfjsExporter,
  onnx: onnxExporter,
};

export function exporterFor(format: string): Exporter {
  const e = EXPORTERS[format];
  if (!e) throw new Error(`export: unknown format '${format}'; expected one of ${Object.keys(EXPORTERS).join(', ')} (or all)`);
  return e;
}
