/**
 * The encoder and decoder registries: one line per adapter. A new encoder or decoder is one file exporting its
 * descriptor ({name, describe, optionsSchema, create}) plus one line here; the config schema derives from these lists.
 */
import { z } from 'zod';
import type { ParamStore } from './layers.js';
import { resnetEncoder } from './resnet.js';
import { mobilenetV1Encoder } from './mobilenet_v1.js';
import { mobilenetV2Encoder } from './mobilenet_v2.js';
import { mobilenetV3Encoder } from './mobilenet_v3.js';
import { monodepth2Decoder } from './decoder.js';
import { nnconv5Decoder } from './nnconv5.js';
import { resizeDwDecoder } from './resize_dw.js';
import type {
  ComponentSpec, Decoder, DecoderCommonOptions, DecoderDescriptor, Encoder, EncoderCommonOptions, EncoderDescriptor,
} from './types.js';

export const ENCODERS: readonly EncoderDescriptor[] = [
  resnetEncoder,
  mobilenetV1Encoder,
  mobilenetV2Encoder,
  mobilenetV3Encoder,
] as unknown as EncoderDescriptor[];

export const DECODERS: readonly DecoderDescriptor[] = [
  monodepth2Decoder,
  nnconv5Decoder,
  resizeDwDecoder,
] as unknown as DecoderDescriptor[];

const ENCODER_COMMON_KEYS = ['seed', 'numInputImages'] as const;
const DECODER_COMMON_KEYS = ['seed', 'numOutputChannels', 'scales', 'outputScale', 'dispBiasInit', 'numChDec'] as const;

function find<D extends { name: string }>(kind: string, list: readonly D[], name: string): D {
  const d = list.find((x) => x.name === name);
  if (!d) throw new Error(`unknown ${kind} "${name}"; expected one of ${list.map((x) => x.name).join(', ')}`);
  return d;
}

/** Splits a spec into the common options and the component's own, and validates the own ones by its schema. */
function splitOptions<C>(kind: string, d: { name: string; optionsSchema: z.ZodObject }, spec: ComponentSpec,
  commonKeys: readonly string[]): { own: Record<string, unknown>; common: C } {
  const own: Record<string, unknown> = {};
  const common: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) {
    if (k === 'name' || v === undefined) continue;
    (commonKeys.includes(k) ? common : own)[k] = v;
  }
  const parsed = d.optionsSchema.safeParse(own);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.code === 'unrecognized_keys'
      ? `unknown option ${i.keys.join(', ')}` : `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new Error(`${kind} "${d.name}": bad options (${problems}); it takes ${Object.keys(d.optionsSchema.shape).join(', ') || 'no options'} ` +
      `besides ${commonKeys.join(', ')}`);
  }
  return { own: parsed.data as Record<string, unknown>, common: common as C };
}

export function createEncoder(store: ParamStore, prefix: string, spec: ComponentSpec): Encoder {
  const d = find('encoder', ENCODERS, spec.name ?? 'resnet');
  const { own, common } = splitOptions<EncoderCommonOptions>('encoder', d, spec, ENCODER_COMMON_KEYS);
  return d.create(store, prefix, own, common);
}

export function createDecoder(store: ParamStore, prefix: string, numChEnc: number[], spec: ComponentSpec): Decoder {
  const d = find('decoder', DECODERS, spec.name ?? 'monodepth2');
  const { own, common } = splitOptions<DecoderCommonOptions>('decoder', d, spec, DECODER_COMMON_KEYS);
  return d.create(store, prefix, numChEnc, own, common);
}
