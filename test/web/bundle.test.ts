import { builtinModules } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

import { repoRoot } from '../io/shared.js';

/** Packages that only work in Node, or that the browser entry must never drag in. */
const FORBIDDEN_PACKAGES = /node_modules\/(sharp|h5wasm|onnxruntime-node|@tensorflow\/tfjs-node[^/]*|yargs|tsx)\//;
const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** Bundles an entry for the browser; returns the build errors and the files that went in. */
async function bundle(entry: string): Promise<{ errors: string[]; inputs: string[] }> {
  try {
    const r = await build({ entryPoints: [entry], absWorkingDir: repoRoot, bundle: true, platform: 'browser', format: 'esm', write: false, metafile: true, logLevel: 'silent' });
    return { errors: r.errors.map((e) => e.text), inputs: Object.keys(r.metafile!.inputs) };
  } catch (err) {
    const errors = (err as { errors?: { text: string }[] }).errors;
    return { errors: errors ? errors.map((e) => e.text) : [String(err)], inputs: [] };
  }
}

describe('the browser entry stereodepth/web', () => {
  it('bundles for the browser with no Node built-in, sharp, h5wasm, worker or other Node-only package reachable', async () => {
    const { errors, inputs } = await bundle('src/web/index.ts');
    expect(errors).toEqual([]);
    expect(inputs.filter((f) => NODE_BUILTINS.has(f) || f.startsWith('node:') || FORBIDDEN_PACKAGES.test(f) || /worker/i.test(f))).toEqual([]);
    // the project code it pulls in: the network, geometry, the output convention; never data/, io/, train/, infer/, run/
    const ours = inputs.filter((f) => f.startsWith('src/'));
    expect(ours).toContain('src/models/output_convention.ts');
    expect(ours.filter((f) => /^src\/(data|io|train|infer|run|eval|cli|config|export)\//.test(f))).toEqual([]);
  }, 60_000);

  it('the check can fail: the Node library entry does not bundle for the browser', async () => {
    const { errors } = await bundle('src/index.ts');
    expect(errors.join('\n')).toMatch(/node:|sharp|fs/);
  }, 60_000);
});
