/**
 * A minimal protobuf writer for ONNX's ModelProto (onnx/onnx.proto field numbers; only what the exporter emits):
 * ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto (raw_data), ValueInfoProto, OperatorSetIdProto,
 * StringStringEntryProto. Repeated numbers are written unpacked (valid for proto2 and proto3 readers).
 */

/** Protobuf message under construction: fields appended in order. */
export class ProtoWriter {
  private parts: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void { this.parts.push(b); this.length += b.byteLength; }

  private varint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value));
    const bytes: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      bytes.push(byte);
    } while (v);
    this.push(Uint8Array.from(bytes));
  }

  private tag(field: number, wire: number): void { this.varint((field << 3) | wire); }

  int(field: number, value: number): this { this.tag(field, 0); this.varint(value); return this; }
  ints(field: number, values: readonly number[]): this { for (const v of values) this.int(field, v); return this; }
  float(field: number, value: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.push(b);
    return this;
  }
  floats(field: number, values: readonly number[]): this { for (const v of values) this.float(field, v); return this; }
  bytes(field: number, data: Uint8Array): this { this.tag(field, 2); this.varint(data.byteLength); this.push(data); return this; }
  string(field: number, s: string): this { return this.bytes(field, new TextEncoder().encode(s)); }
  strings(field: number, values: readonly string[]): this { for (const s of values) this.string(field, s); return this; }
  message(field: number, m: ProtoWriter): this { return this.bytes(field, m.finish()); }
  messages(field: number, ms: readonly ProtoWriter[]): this { for (const m of ms) this.message(field, m); return this; }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const p of this.parts) { out.set(p, off); off += p.byteLength; }
    return out;
  }
}

/** TensorProto.DataType values. */
export const ONNX_DTYPE = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10 } as const;
export type OnnxDtype = keyof typeof ONNX_DTYPE;

export interface OnnxTensor { name: string; dtype: OnnxDtype; dims: number[]; data: Uint8Array }

export type OnnxAttr = number | string | number[] | { floats: number[] } | { float: number };

export interface OnnxNode { name: string; op: string; inputs: string[]; outputs: string[]; attrs?: Record<string, OnnxAttr> }

export interface OnnxValueInfo { name: string; dtype: OnnxDtype; shape: number[] }

export interface OnnxModel {
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  opset: number;
  metadata: Record<string, string>;
  graphName: string;
}

function tensorProto(t: OnnxTensor): ProtoWriter {
  return new ProtoWriter().ints(1, t.dims).int(2, ONNX_DTYPE[t.dtype]).string(8, t.name).bytes(9, t.data);
}

/** AttributeProto: INT 2, FLOAT 1, STRING 3, FLOATS 6, INTS 7 (numbers are INT unless wrapped as {float}). */
function attributeProto(name: string, v: OnnxAttr): ProtoWriter {
  const a = new ProtoWriter().string(1, name);
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`onnx: attribute ${name}=${v} is not an integer; wrap floats as {float}`);
    return a.int(3, v).int(20, 2);
  }
  if (typeof v === 'string') return a.bytes(4, new TextEncoder().encode(v)).int(20, 3);
  if (Array.isArray(v)) return a.ints(8, v).int(20, 7);
  if ('float' in v) return a.float(2, v.float).int(20, 1);
  return a.floats(7, v.floats).int(20, 6);
}

function nodeProto(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter().strings(1, n.inputs).strings(2, n.outputs).string(3, n.name).string(4, n.op);
  for (const [k, v] of Object.entries(n.attrs ?? {})) w.message(5, attributeProto(k, v));
  return w;
}

function valueInfoProto(v: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter().messages(1, v.shape.map((d) => new ProtoWriter().int(1, d)));
  const tensorType = new ProtoWriter().int(1, ONNX_DTYPE[v.dtype]).message(2, shape);
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensorType));
}

/** Serialised ModelProto (IR version 8: opsets up to 18). */
export function encodeOnnxModel(m: OnnxModel): Uint8Array {
  const graph = new ProtoWriter()
    .messages(1, m.nodes.map(nodeProto))
    .string(2, m.graphName)
    .messages(5, m.initializers.map(tensorProto))
    .messages(11, m.inputs.map(valueInfoProto))
    .messages(12, m.outputs.map(valueInfoProto));
  return new ProtoWriter()
    .int(1, 8)
    .string(2, 'stereodepth')
    .string(3, '1')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, m.opset))
    .messages(14, Object.entries(m.metadata).map(([k, v]) => new ProtoWriter().string(1, k).string(2, v)))
    .finish();
}
