/** Assigning loaded weights to a network's variables (tfjs-core only: the browser entry uses it too). */
import type * as tf from '@tensorflow/tfjs-core';

/** Assigns loaded tensors to variables (names relative to an optional prefix). strict: every variable loaded and no
 *  extra tensors. Errors name the variable and both shapes. */
export function loadInto(vars: Record<string, tf.Variable>, tensors: Record<string, tf.Tensor>,
  opts: { strict?: boolean; prefixes?: string[] } = {}): string[] {
  const strict = opts.strict ?? true;
  const inScope = (n: string) => !opts.prefixes || opts.prefixes.some((p) => n.startsWith(p));
  const names = Object.keys(vars).filter(inScope);
  const missing = names.filter((n) => !(n in tensors));
  const extra = Object.keys(tensors).filter((n) => inScope(n) && !(n in vars));
  if (strict && (missing.length || extra.length)) throw new Error(`loadInto: missing [${missing.join(', ')}], unexpected [${extra.join(', ')}]`);
  const loaded: string[] = [];
  for (const n of names) {
    const t = tensors[n];
    if (!t) continue;
    if (t.shape.join(',') !== vars[n].shape.join(',')) throw new Error(`loadInto: variable "${n}" has shape [${vars[n].shape}] but the file has [${t.shape}]`);
    vars[n].assign(t);
    loaded.push(n);
  }
  return loaded;
}
