/**
 * IR -> TensorFlow GraphDef in the JSON form tfjs-converter writes into a graph model's `modelTopology` (TF op names
 * and attrs as in tfjs-converter's op mappers: `_FusedConv2D` with `fused_ops`, `ConcatV2` with an axis input,
 * `MirrorPad`/`PadV2`/`Reshape`/`Slice`/`ResizeBilinear` with constant int inputs, strings base64, ints as strings).
 * Returns the nodes and the extra int/float constants the ops need (they go into the weights manifest like weights).
 */
import { inputList, specOf, type Graph, type GraphConst, type GraphNode } from './graph.js';
import { windowInfo } from './conv_info.js';

export interface TfNode { name: string; op: string; input?: string[]; attr?: Record<string, unknown>; device?: string }

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const ints = (v: number[]) => ({ list: { i: v.map(String) } });
const str = (s: string) => ({ s: b64(s) });
const strs = (v: string[]) => ({ list: { s: v.map(b64) } });
export const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' } as const;
const FLOAT = { type: DT.float32 };

export function tfShape(shape: number[]): { dim?: { size: string }[] } {
  return shape.length ? { dim: shape.map((d) => ({ size: String(d) })) } : {};
}

export function constNode(name: string, c: Pick<GraphConst, 'dtype' | 'shape'>): TfNode {
  return { name, op: 'Const', attr: { value: { tensor: { dtype: DT[c.dtype], tensorShape: tfShape(c.shape) } }, dtype: { type: DT[c.dtype] } } };
}

const BINARY: Record<string, string> = { Add: 'AddV2', Sub: 'Sub', Multiply: 'Mul', RealDiv: 'RealDiv', Maximum: 'Maximum', Minimum: 'Minimum', SquaredDifference: 'SquaredDifference', Pow: 'Pow', Prelu: 'Prelu', Greater: 'Greater', GreaterEqual: 'GreaterEqual', Less: 'Less', LessEqual: 'LessEqual', Equal: 'Equal' };
const UNARY = new Set(['Relu', 'Relu6', 'Elu', 'Sigmoid', 'Tanh', 'Exp', 'Neg', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Abs', 'Log', 'Softplus', 'Identity']);
const FUSED_ACT: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyrelu: 'LeakyRelu' };
const LOWEST_FLOAT = -3.4028234663852886e38;

/** Converts the IR's nodes; `extra` receives the op constants (paddings, shapes, axes) by node name. */
export function toTfNodes(g: Graph, extra: Map<string, GraphConst>): TfNode[] {
  const out: TfNode[] = [];
  const intConst = (name: string, values: number[], shape = [values.length]): string => {
    extra.set(name, { dtype: 'int32', shape, values: Int32Array.from(values) });
    out.push(constNode(name, { dtype: 'int32', shape }));
    return name;
  };
  const floatConst = (name: string, value: number): string => {
    extra.set(name, { dtype: 'float32', shape: [], values: Float32Array.of(value) });
    out.push(constNode(name, { dtype: 'float32', shape: [] }));
    return name;
  };
  const rank = (t: string) => specOf(g, t).shape.length;
  for (const n of g.nodes) {
    const ins = inputList(n);
    const x = n.inputs.x ?? ins[0]!;
    const T = { T: FLOAT };
    if (n.op in BINARY) out.push({ name: n.name, op: BINARY[n.op]!, input: [n.inputs.a ?? ins[0]!, n.inputs.b ?? n.inputs.alpha ?? ins[1]!], attr: T });
    else if (UNARY.has(n.op)) out.push({ name: n.name, op: n.op, input: [x], attr: T });
    else if (n.op === 'Select') out.push({ name: n.name, op: 'SelectV2', input: [n.inputs.condition!, n.inputs.t!, n.inputs.e!], attr: T });
    else if (n.op === 'LeakyRelu') out.push({ name: n.name, op: 'LeakyRelu', input: [x], attr: { ...T, alpha: { f: n.attrs.alpha as number } } });
    else if (n.op.includes('Conv2D') || n.op === 'DepthwiseConv2dNative') out.push(convNode(g, n));
    else if (n.op === 'MaxPool' || n.op === 'AvgPool') {
      const w = windowInfo(g, n);
      let input = x;
      if (w.padding.kind === 'explicit') {
        const p = w.padding;
        if (n.op === 'AvgPool' && (p.top || p.bottom || p.left || p.right)) throw new Error(`export tfjs: ${n.name} AvgPool with explicit padding (counts pads) is not supported`);
        input = `${n.name}/pad`;
        out.push({ name: input, op: 'PadV2', input: [x, intConst(`${n.name}/paddings`, [0, 0, p.top, p.bottom, p.left, p.right, 0, 0], [4, 2]), floatConst(`${n.name}/lowest`, LOWEST_FLOAT)], attr: { ...T, Tpaddings: { type: DT.int32 } } });
      }
      out.push({ name: n.name, op: n.op, input: [input], attr: { ...T, ksize: ints([1, ...w.kernel, 1]), strides: ints([1, ...w.strides, 1]), padding: str(w.padding.kind === 'same' ? 'SAME' : 'VALID'), data_format: str('NHWC') } });
    } else if (n.op === 'Reshape') out.push({ name: n.name, op: 'Reshape', input: [x, intConst(`${n.name}/shape`, specOf(g, n.outputs[0]!).shape)], attr: { ...T, Tshape: { type: DT.int32 } } });
    else if (n.op === 'Concat') {
      const r = rank(ins[0]!);
      const axis = Array.isArray(n.attrs.axis) ? (n.attrs.axis as number[])[0]! : (n.attrs.axis as number);
      out.push({ name: n.name, op: 'ConcatV2', input: [...ins, intConst(`${n.name}/axis`, [(axis + r) % r], [])], attr: { ...T, N: { i: String(ins.length) }, Tidx: { type: DT.int32 } } });
    } else if (n.op === 'Slice') {
      out.push({ name: n.name, op: 'Slice', input: [x, intConst(`${n.name}/begin`, n.attrs.begin as number[]), intConst(`${n.name}/size`, n.attrs.size as number[])], attr: { ...T, Index: { type: DT.int32 } } });
    } else if (n.op === 'MirrorPad' || n.op === 'PadV2') {
      const pads = (n.attrs.paddings as number[][]).flat();
      const p = intConst(`${n.name}/paddings`, pads, [pads.length / 2, 2]);
      if (n.op === 'MirrorPad') out.push({ name: n.name, op: 'MirrorPad', input: [x, p], attr: { ...T, mode: str(String(n.attrs.mode).toUpperCase()), Tpaddings: { type: DT.int32 } } });
      else out.push({ name: n.name, op: 'PadV2', input: [x, p, floatConst(`${n.name}/value`, (n.attrs.constantValue as number) ?? 0)], attr: { ...T, Tpaddings: { type: DT.int32 } } });
    } else if (n.op === 'ResizeBilinear' || n.op === 'ResizeNearestNeighbor') {
      out.push({ name: n.name, op: n.op, input: [x, intConst(`${n.name}/size`, n.attrs.size as number[])], attr: { ...T, align_corners: { b: Boolean(n.attrs.alignCorners) }, half_pixel_centers: { b: Boolean(n.attrs.halfPixelCenters) } } });
    } else if (n.op === 'Transpose') out.push({ name: n.name, op: 'Transpose', input: [x, intConst(`${n.name}/perm`, n.attrs.perm as number[])], attr: { ...T, Tperm: { type: DT.int32 } } });
    else if (n.op === 'Mean' || n.op === 'Max' || n.op === 'Sum') {
      const axes = ([] as number[]).concat(n.attrs.axis as number | number[]).map((a) => (a + rank(x)) % rank(x));
      out.push({ name: n.name, op: n.op, input: [x, intConst(`${n.name}/axis`, axes)], attr: { ...T, keep_dims: { b: Boolean(n.attrs.keepDims) }, Tidx: { type: DT.int32 } } });
    } else if (n.op === 'ClipByValue') {
      out.push({ name: n.name, op: 'ClipByValue', input: [x, floatConst(`${n.name}/min`, n.attrs.clipValueMin as number), floatConst(`${n.name}/max`, n.attrs.clipValueMax as number)], attr: T });
    } else {
      throw new Error(`export tfjs: no TF op for kernel ${n.op} (${n.name}); add it to src/export/tf_graph_def.ts`);
    }
  }
  return out;
}

function convNode(g: Graph, n: GraphNode): TfNode {
  const w = windowInfo(g, n);
  const depthwise = n.op.includes('Depthwise');
  const act = String(n.attrs.activation ?? 'linear');
  const fused = n.op.startsWith('Fused') && (n.inputs.bias !== undefined || act !== 'linear');
  const attr: Record<string, unknown> = {
    T: FLOAT, strides: ints([1, ...w.strides, 1]), dilations: ints([1, ...w.dilations, 1]), data_format: str('NHWC'),
    padding: str(w.padding.kind === 'same' ? 'SAME' : w.padding.kind === 'valid' ? 'VALID' : 'EXPLICIT'),
  };
  if (w.padding.kind === 'explicit') attr.explicit_paddings = ints([0, 0, w.padding.top, w.padding.bottom, w.padding.left, w.padding.right, 0, 0]);
  const input = [n.inputs.x!, n.inputs.filter!];
  if (!fused) return { name: n.name, op: depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', input, attr };
  if (act !== 'linear' && !FUSED_ACT[act]) throw new Error(`export tfjs: ${n.name} has fused activation '${act}' with no TF equivalent`);
  if (n.inputs.bias === undefined) throw new Error(`export tfjs: ${n.name} fuses an activation without a bias`);
  attr.fused_ops = strs(['BiasAdd', ...(act !== 'linear' ? [FUSED_ACT[act]!] : [])]);
  attr.num_args = { i: '1' };
  attr.epsilon = { f: 0 };
  if (act === 'leakyrelu') attr.leakyrelu_alpha = { f: n.attrs.leakyreluAlpha as number };
  return { name: n.name, op: depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D', input: [...input, n.inputs.bias], attr };
}
