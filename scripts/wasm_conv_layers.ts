/**
 * Per-layer wasm timings of every convolution in a ResNet18 + monodepth2 training step at 96x320 batch 4 (the
 * decoder's convs on their reflection-padded inputs): forward, input gradient and filter gradient, median of 5 runs,
 * with GFLOP/s. The numbers behind the per-layer choices in src/backend/wasm_kernels.ts (docs/experiments.md).
 *
 *   npx tsx scripts/wasm_conv_layers.ts [auto|conv|gemm] [layer-name-prefix]
 *
 * The first argument forces the input-gradient formulation (setWasmConvFormulation); the forward and the filter
 * gradient always run the direct kernels.
 */
import { initBackend, shutdownBackend } from '../src/backend/index.js';
import { benchConvLayer, type ConvLayerSpec } from '../src/backend/bench_ops.js';
import { setWasmConvFormulation, type ConvFormulation } from '../src/backend/wasm_kernels.js';

const B = 4;
const layers: [string, ConvLayerSpec][] = [];
const conv = (name: string, h: number, w: number, ci: number, co: number, k: number, s: number, pad: 'same' | 'valid'): void => {
  layers.push([name, { inputShape: [B, h, w, ci], filterShape: [k, k, ci, co], stride: s, pad }]);
};
conv('conv1', 96, 320, 3, 64, 7, 2, 'same');
for (let i = 0; i < 4; i++) conv('l1', 24, 80, 64, 64, 3, 1, 'same');
conv('l2a', 24, 80, 64, 128, 3, 2, 'same'); conv('l2ds', 24, 80, 64, 128, 1, 2, 'same');
for (let i = 0; i < 3; i++) conv('l2', 12, 40, 128, 128, 3, 1, 'same');
conv('l3a', 12, 40, 128, 256, 3, 2, 'same'); conv('l3ds', 12, 40, 128, 256, 1, 2, 'same');
for (let i = 0; i < 3; i++) conv('l3', 6, 20, 256, 256, 3, 1, 'same');
conv('l4a', 6, 20, 256, 512, 3, 2, 'same'); conv('l4ds', 6, 20, 256, 512, 1, 2, 'same');
for (let i = 0; i < 3; i++) conv('l4', 3, 10, 512, 512, 3, 1, 'same');
// decoder: 3x3 'valid' on the input reflection-padded by 1
conv('up4_0', 5, 12, 512, 256, 3, 1, 'valid'); conv('up4_1', 8, 22, 512, 256, 3, 1, 'valid');
conv('up3_0', 8, 22, 256, 128, 3, 1, 'valid'); conv('up3_1', 14, 42, 256, 128, 3, 1, 'valid'); conv('disp3', 14, 42, 128, 1, 3, 1, 'valid');
conv('up2_0', 14, 42, 128, 64, 3, 1, 'valid'); conv('up2_1', 26, 82, 128, 64, 3, 1, 'valid'); conv('disp2', 26, 82, 64, 1, 3, 1, 'valid');
conv('up1_0', 26, 82, 64, 32, 3, 1, 'valid'); conv('up1_1', 50, 162, 96, 32, 3, 1, 'valid'); conv('disp1', 50, 162, 32, 1, 3, 1, 'valid');
conv('up0_0', 50, 162, 32, 16, 3, 1, 'valid'); conv('up0_1', 98, 322, 16, 16, 3, 1, 'valid'); conv('disp0', 98, 322, 16, 1, 3, 1, 'valid');

const [mode = 'auto', only] = process.argv.slice(2);
if (!['auto', 'conv', 'gemm'].includes(mode)) throw new Error(`wasm_conv_layers: formulation must be auto, conv or gemm, got '${mode}'`);
await initBackend('wasm');
setWasmConvFormulation(mode as ConvFormulation);
const totals = { forward: 0, inputGrad: 0, filterGrad: 0 };
let gflop = 0;
const cell = (t: { medianMs: number; gflops: number }): string => `${t.medianMs.toFixed(1).padStart(6)} ms (${t.gflops.toFixed(0).padStart(2)})`;
console.log('layer   GFLOP   forward         input grad      filter grad     (ms, GFLOP/s)');
for (const [name, spec] of layers) {
  if (only && !name.startsWith(only)) continue;
  const t = benchConvLayer(spec, 5);
  totals.forward += t.forward.medianMs;
  totals.inputGrad += t.inputGrad.medianMs;
  totals.filterGrad += t.filterGrad.medianMs;
  gflop += t.flops / 1e9;
  console.log(`${name.padEnd(7)} ${(t.flops / 1e9).toFixed(3)}  ${cell(t.forward)}  ${cell(t.inputGrad)}  ${cell(t.filterGrad)}`);
}
console.log(`total   ${gflop.toFixed(2)}  ${totals.forward.toFixed(0).padStart(6)} ms       ${totals.inputGrad.toFixed(0).padStart(6)} ms       ${totals.filterGrad.toFixed(0).padStart(6)} ms`);
shutdownBackend();
