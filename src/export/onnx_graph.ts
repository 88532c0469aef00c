/**
 * IR (NHWC, tfjs kernels) -> ONNX graph (opset 17, NCHW convolutions). The model's input and output stay NHWC like
 * every other stereodepth model ([1, H, W, 3] in, [1, H, W, 1] out); inside, tensors are transposed lazily: convs,
 * pools, pads and resizes run in NCHW, layout-free ops follow their inputs, and Reshape (whose meaning depends on the
 * layout) gets NHWC. Constants of element-wise ops are transposed at export time. With `quant`, convs outside
 * `floatLayers` get QDQ int8 (see onnx_qdq.ts) from calibrated activation ranges.
 */
import { inputList, specOf, type Graph, type GraphConst, type GraphNode } from './graph.js';
import { CONV_NODE_OPS, convLayer, inLayers, windowInfo } from './conv_info.js';
import { activationQuant, preActivationRange, quantizeBias, quantizeWeightsPerChannel } from './onnx_qdq.js';
import type { OnnxAttr, OnnxDtype, OnnxModel, OnnxNode, OnnxTensor } from './onnx_proto.js';

type Layout = 'nhwc' | 'nchw';
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
/** NHWC axis -> NCHW axis. */
const AXIS_NCHW = [0, 2, 3, 1];

export interface OnnxQuantOptions { ranges: Map<string, [number, number]>; floatLayers: readonly string[] }

const BINARY: Record<string, string> = { Add: 'Add', Sub: 'Sub', Multiply: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min', Pow: 'Pow', Greater: 'Greater', GreaterEqual: 'GreaterOrEqual', Less: 'Less', LessEqual: 'LessOrEqual', Equal: 'Equal' };
const UNARY: Record<string, string> = { Relu: 'Relu', Sigmoid: 'Sigmoid', Tanh: 'Tanh', Exp: 'Exp', Neg: 'Neg', Sqrt: 'Sqrt', Reciprocal: 'Reciprocal', Abs: 'Abs', Log: 'Log', Softplus: 'Softplus', Identity: 'Identity', Elu: 'Elu' };

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

/** [kh,kw,in,out] (conv) or [kh,kw,in,mult] (depthwise) -> ONNX [out, in/group, kh, kw]. */
export function toOihw(w: Float32Array, shape: number[], depthwise: boolean): { data: Float32Array; dims: number[] } {
  const [kh, kw, inC, last] = shape as [number, number, number, number];
  const outC = depthwise ? inC * last : last;
  const perOut = depthwise ? 1 : inC;
  const data = new Float32Array(w.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < inC; i++) for (let o = 0; o < last; o++) {
    const src = ((y * kw + x) * inC + i) * last + o;
    const oc = depthwise ? i * last + o : o;
    const ic = depthwise ? 0 : i;
    data[((oc * perOut + ic) * kh + y) * kw + x] = w[src]!;
  }
  return { data, dims: [outC, perOut, kh, kw] };
}

class OnnxBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private readonly where = new Map<string, { name: string; layout: Layout }>();
  private readonly variants = new Map<string, string>();
  private readonly qdqDone = new Map<string, string>();
  private readonly dequantized = new Set<string>();
  private n = 0;

  constructor(readonly g: Graph, readonly quant?: OnnxQuantOptions) {
    this.where.set(g.input.name, { name: g.input.name, layout: 'nhwc' });
  }

  fresh(base: string): string { return `${base}__${this.n++}`; }

  init(name: string, dtype: OnnxDtype, dims: number[], data: ArrayBufferView): string {
    this.inits.push({ name, dtype, dims, data: bytesOf(data) });
    return name;
  }
  ints(base: string, values: number[]): string { return this.init(this.fresh(base), 'int64', [values.length], BigInt64Array.from(values.map(BigInt))); }
  scalar(base: string, v: number): string { return this.init(this.fresh(base), 'float32', [], Float32Array.of(v)); }

  node(op: string, inputs: string[], attrs?: Record<string, OnnxAttr>, base = op): string {
    const out = this.fresh(base);
    this.nodes.push({ name: out, op, inputs, outputs: [out], ...(attrs ? { attrs } : {}) });
    return out;
  }

  rank(t: string): number { return specOf(this.g, t).shape.length; }
  layoutOf(t: string): Layout | undefined { return this.where.get(t)?.layout; }

  /** The ONNX name of IR tensor `t` in layout `want` (rank-4 tensors only get transposed). */
  get(t: string, want: Layout | 'any'): string {
    const c = this.g.consts.get(t);
    if (c) return this.constFor(t, c, want === 'nchw' ? 'nchw' : 'nhwc');
    const w = this.where.get(t);
    if (!w) throw new Error(`export onnx: tensor ${t} used before it is computed`);
    if (want === 'any' || want === w.layout || this.rank(t) !== 4) return w.name;
    const key = `${t}|${want}`;
    let v = this.variants.get(key);
    if (!v) {
      v = this.node('Transpose', [w.name], { perm: want === 'nchw' ? TO_NCHW : TO_NHWC }, `${t}/${want}`);
      this.variants.set(key, v);
    }
    return v;
  }

  set(t: string, name: string, layout: Layout): void { this.where.set(t, { name, layout }); }

  /** A constant operand, right-aligned to rank 4 and transposed to NCHW when the op runs in NCHW. */
  constFor(t: string, c: GraphConst, layout: Layout): string {
    const key = `${t}|const|${layout}`;
    const done = this.variants.get(key);
    if (done) return done;
    let dims = c.shape;
    let data: ArrayBufferView = c.values;
    if (layout === 'nchw' && c.shape.length > 0 && c.values.length > 1) {
      const s = [...Array(4 - c.shape.length).fill(1), ...c.shape] as [number, number, number, number];
      const [a, h, w, ch] = s;
      const out = c.dtype === 'int32' ? new Int32Array(c.values.length) : c.dtype === 'bool' ? new Uint8Array(c.values.length) : new Float32Array(c.values.length);
      for (let i = 0; i < a; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < ch; k++) {
        out[((i * ch + k) * h + y) * w + x] = c.values[((i * h + y) * w + x) * ch + k]!;
      }
      dims = [a, ch, h, w];
      data = out;
    }
    const name = this.init(this.fresh(t), c.dtype === 'int32' ? 'int32' : c.dtype === 'bool' ? 'bool' : 'float32', dims, data);
    this.variants.set(key, name);
    return name;
  }

  /** Q -> DQ on an ONNX tensor (cached per tensor): returns the dequantized name. */
  qdq(onnxName: string, range: readonly [number, number]): string {
    const done = this.qdqDone.get(onnxName);
    if (done) return done;
    if (this.dequantized.has(onnxName)) return onnxName; // already the output of a Q -> DQ pair
    const { scale, zeroPoint } = activationQuant(range);
    const s = this.scalar(`${onnxName}/scale`, scale);
    const z = this.init(this.fresh(`${onnxName}/zero_point`), 'uint8', [], Uint8Array.of(zeroPoint));
    const q = this.node('QuantizeLinear', [onnxName, s, z], undefined, `${onnxName}/q`);
    const dq = this.node('DequantizeLinear', [q, s, z], undefined, `${onnxName}/dq`);
    this.qdqDone.set(onnxName, dq);
    this.dequantized.add(dq);
    return dq;
  }

  range(t: string): [number, number] {
    const r = this.quant?.ranges.get(t);
    if (!r) throw new Error(`export onnx int8: no calibrated range for tensor ${t}; calibrate on the same graph`);
    return r;
  }
}

function convert(b: OnnxBuilder, n: GraphNode): void {
  const g = b.g;
  const ins = inputList(n);
  const x = n.inputs.x ?? ins[0]!;
  const out = n.outputs[0]!;
  const same = (layout: Layout, op: string, inputs: string[], attrs?: Record<string, OnnxAttr>) => b.set(out, b.node(op, inputs, attrs, n.name), layout);
  if (CONV_NODE_OPS.has(n.op)) return convertConv(b, n);
  if (n.op in UNARY) {
    const l = b.layoutOf(x) ?? 'nhwc';
    return same(l, UNARY[n.op]!, [b.get(x, 'any')], n.op === 'Elu' ? { alpha: { float: 1 } } : undefined);
  }
  if (n.op === 'Relu6' || n.op === 'ClipByValue') {
    const [lo, hi] = n.op === 'Relu6' ? [0, 6] : [n.attrs.clipValueMin as number, n.attrs.clipValueMax as number];
    return same(b.layoutOf(x) ?? 'nhwc', 'Clip', [b.get(x, 'any'), b.scalar('clip_min', lo), b.scalar('clip_max', hi)]);
  }
  if (n.op === 'LeakyRelu') return same(b.layoutOf(x) ?? 'nhwc', 'LeakyRelu', [b.get(x, 'any')], { alpha: { float: n.attrs.alpha as number } });
  if (n.op in BINARY) {
    const [a, c] = [n.inputs.a!, n.inputs.b!];
    const vars = [a, c].filter((t) => !g.consts.has(t));
    const outRank = specOf(g, out).shape.length;
    const nchw = outRank === 4 && vars.some((t) => b.layoutOf(t) === 'nchw') && vars.every((t) => b.rank(t) === 4);
    const l: Layout = nchw ? 'nchw' : 'nhwc';
    return same(l, BINARY[n.op]!, [b.get(a, l), b.get(c, l)]);
  }
  if (n.op === 'Select') {
    const ts = [n.inputs.condition!, n.inputs.t!, n.inputs.e!];
    const vars = ts.filter((t) => !g.consts.has(t));
    const l: Layout = specOf(g, out).shape.length === 4 && vars.some((t) => b.layoutOf(t) === 'nchw') && vars.every((t) => b.rank(t) === 4) ? 'nchw' : 'nhwc';
    return same(l, 'Where', ts.map((t) => b.get(t, l)));
  }
  if (n.op === 'Concat') {
    const r = b.rank(ins[0]!);
    const axis = ((Array.isArray(n.attrs.axis) ? (n.attrs.axis as number[])[0]! : (n.attrs.axis as number)) + r) % r;
    const l: Layout = r === 4 && ins.some((t) => b.layoutOf(t) === 'nchw') ? 'nchw' : 'nhwc';
    return same(l, 'Concat', ins.map((t) => b.get(t, l)), { axis: l === 'nchw' ? AXIS_NCHW[axis]! : axis });
  }
  if (n.op === 'Reshape') return same('nhwc', 'Reshape', [b.get(x, 'nhwc'), b.ints('shape', specOf(g, out).shape)]);
  if (n.op === 'Transpose') return same('nhwc', 'Transpose', [b.get(x, 'nhwc')], { perm: n.attrs.perm as number[] });
  if (n.op === 'Slice') {
    const l: Layout = b.rank(x) === 4 && b.layoutOf(x) === 'nchw' ? 'nchw' : 'nhwc';
    const shape = specOf(g, x).shape;
    const begin = n.attrs.begin as number[];
    const size = n.attrs.size as number[];
    const ends = begin.map((s, i) => (size[i] === -1 ? shape[i]! : s + size[i]!));
    const axes = begin.map((_, i) => (l === 'nchw' ? AXIS_NCHW[i]! : i));
    return same(l, 'Slice', [b.get(x, l), b.ints('starts', begin), b.ints('ends', ends), b.ints('axes', axes)]);
  }
  if (n.op === 'MirrorPad' || n.op === 'PadV2') {
    const rows = n.attrs.paddings as number[][];
    const l: Layout = rows.length === 4 ? 'nchw' : 'nhwc';
    const order = l === 'nchw' ? TO_NCHW : rows.map((_, i) => i);
    const pads = [...order.map((i) => rows[i]![0]!), ...order.map((i) => rows[i]![1]!)];
    const inputs = [b.get(x, l), b.ints('pads', pads)];
    if (n.op === 'PadV2') inputs.push(b.scalar('pad_value', (n.attrs.constantValue as number) ?? 0));
    return same(l, 'Pad', inputs, { mode: n.op === 'MirrorPad' ? String(n.attrs.mode).toLowerCase() : 'constant' });
  }
  if (n.op === 'MaxPool' || n.op === 'AvgPool') {
    const w = windowInfo(g, n);
    const attrs: Record<string, OnnxAttr> = { kernel_shape: w.kernel, strides: w.strides };
    if (w.padding.kind === 'same') attrs.auto_pad = 'SAME_UPPER';
    else if (w.padding.kind === 'explicit') attrs.pads = [w.padding.top, w.padding.left, w.padding.bottom, w.padding.right];
    if (n.op === 'AvgPool') attrs.count_include_pad = 0;
    return same('nchw', n.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [b.get(x, 'nchw')], attrs);
  }
  if (n.op === 'ResizeBilinear' || n.op === 'ResizeNearestNeighbor') {
    const [h, w] = n.attrs.size as number[];
    const [batch, , , ch] = specOf(g, x).shape as [number, number, number, number];
    const align = Boolean(n.attrs.alignCorners);
    const half = Boolean(n.attrs.halfPixelCenters);
    const attrs: Record<string, OnnxAttr> = n.op === 'ResizeBilinear'
      ? { mode: 'linear', coordinate_transformation_mode: align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric' }
      : { mode: 'nearest', coordinate_transformation_mode: align ? 'align_corners' : half ? 'tf_half_pixel_for_nn' : 'asymmetric', nearest_mode: align ? 'round_prefer_ceil' : 'floor' };
    return same('nchw', 'Resize', [b.get(x, 'nchw'), '', '', b.ints('sizes', [batch, ch, h!, w!])], attrs);
  }
  if (n.op === 'Mean') {
    const axes = ([] as number[]).concat(n.attrs.axis as number | number[]).map((a) => (a + b.rank(x)) % b.rank(x));
    return same('nhwc', 'ReduceMean', [b.get(x, 'nhwc')], { axes, keepdims: n.attrs.keepDims ? 1 : 0 });
  }
  throw new Error(`export onnx: no ONNX op for kernel ${n.op} (${n.name}); add it to src/export/onnx_graph.ts`);
}

function convertConv(b: OnnxBuilder, n: GraphNode): void {
  const g = b.g;
  const w = windowInfo(g, n);
  const filter = g.consts.get(n.inputs.filter!);
  if (!filter) throw new Error(`export onnx: ${n.name} has a computed (non-constant) filter`);
  const depthwise = n.op.includes('Depthwise');
  const { data, dims } = toOihw(filter.values as Float32Array, filter.shape, depthwise);
  const outC = dims[0]!;
  const biasConst = n.inputs.bias ? g.consts.get(n.inputs.bias) : undefined;
  const bias = biasConst ? (biasConst.values as Float32Array) : new Float32Array(outC);
  const attrs: Record<string, OnnxAttr> = { kernel_shape: w.kernel, strides: w.strides, dilations: w.dilations, group: depthwise ? filter.shape[2]! : 1 };
  if (w.padding.kind === 'same') attrs.auto_pad = 'SAME_UPPER';
  else if (w.padding.kind === 'explicit') attrs.pads = [w.padding.top, w.padding.left, w.padding.bottom, w.padding.right];
  const act = String(n.attrs.activation ?? 'linear');
  const quantize = b.quant !== undefined && !inLayers(convLayer(g, n), b.quant.floatLayers);
  const layer = convLayer(g, n);
  let x = b.get(n.inputs.x!, 'nchw');
  let wName: string;
  let bName: string;
  if (quantize) {
    const xq = activationQuant(b.range(n.inputs.x!));
    x = b.qdq(x, b.range(n.inputs.x!));
    const wq = quantizeWeightsPerChannel(data, outC);
    const bq = quantizeBias(bias, xq.scale, wq.scales);
    const wi = b.init(b.fresh(`${layer}/weight_int8`), 'int8', dims, wq.q);
    const ws = b.init(b.fresh(`${layer}/weight_scale`), 'float32', [outC], wq.scales);
    const wz = b.init(b.fresh(`${layer}/weight_zero_point`), 'int8', [outC], new Int8Array(outC));
    wName = b.node('DequantizeLinear', [wi, ws, wz], { axis: 0 }, `${layer}/weight`);
    const bi = b.init(b.fresh(`${layer}/bias_int32`), 'int32', [outC], bq.q);
    const bs = b.init(b.fresh(`${layer}/bias_scale`), 'float32', [outC], bq.scales);
    const bz = b.init(b.fresh(`${layer}/bias_zero_point`), 'int32', [outC], new Int32Array(outC));
    bName = b.node('DequantizeLinear', [bi, bs, bz], { axis: 0 }, `${layer}/bias`);
  } else {
    wName = b.init(b.fresh(`${layer}/weight`), 'float32', dims, data);
    bName = b.init(b.fresh(`${layer}/bias`), 'float32', [outC], bias);
  }
  let y = b.node('Conv', [x, wName, bName], attrs, n.name);
  const outRange = quantize ? b.range(n.outputs[0]!) : undefined;
  // onnxruntime fuses DQ-Conv-Q into QLinearConv (and drops a Relu before Q); other activations sit between two QDQs
  if (outRange && act !== 'linear' && act !== 'relu') y = b.qdq(y, preActivationRange(act, outRange));
  if (act === 'relu') y = b.node('Relu', [y]);
  else if (act === 'relu6') y = b.node('Clip', [y, b.scalar('clip_min', 0), b.scalar('clip_max', 6)]);
  else if (act === 'elu') y = b.node('Elu', [y], { alpha: { float: 1 } });
  else if (act === 'sigmoid') y = b.node('Sigmoid', [y]);
  else if (act === 'leakyrelu') y = b.node('LeakyRelu', [y], { alpha: { float: n.attrs.leakyreluAlpha as number } });
  else if (act !== 'linear') throw new Error(`export onnx: ${n.name} has activation '${act}' with no ONNX op`);
  if (outRange) y = b.qdq(y, outRange);
  b.set(n.outputs[0]!, y, 'nchw');
}

/** The ONNX model of graph `g` (input and output NHWC), with metadata_props from `metadata`. */
export function graphToOnnx(g: Graph, metadata: Record<string, string>, quant?: OnnxQuantOptions): OnnxModel {
  const b = new OnnxBuilder(g, quant);
  for (const n of g.nodes) convert(b, n);
  const outName = g.outputNames[0]!;
  const last = b.get(g.outputs[0]!, 'nhwc');
  b.nodes.push({ name: outName, op: 'Identity', inputs: [last], outputs: [outName] });
  return {
    nodes: b.nodes, initializers: b.inits, opset: 17, metadata, graphName: 'stereodepth',
    inputs: [{ name: g.input.name, dtype: 'float32', shape: g.input.shape }],
    outputs: [{ name: outName, dtype: 'float32', shape: specOf(g, g.outputs[0]!).shape }],
  };
}
