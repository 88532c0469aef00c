/**
 * Registers tfjs-core's gradient functions. tfjs-core's Node bundle (its package "main") registers none; they
 * live only in its unbundled ESM files (dist/register_all_gradients.js), whose imports are extensionless and
 * directory-style ('./base', './gradients'), which Node's ESM loader refuses (ERR_UNSUPPORTED_DIR_IMPORT).
 * Outside vitest (whose resolver accepts them) a resolve hook appends '.js' / '/index.js' on those errors.
 * The registries are global (shared through tfjs's global namespace), so gradients registered by the ESM copy
 * are seen by the engine of the package "main".
 */
import { register } from 'node:module';

const RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    const relative = specifier.startsWith('./') || specifier.startsWith('../');
    const inTfjs = (context.parentURL ?? '').includes('/@tensorflow/');
    if (!relative || !inTfjs) throw err;
    if (!err || (err.code !== 'ERR_UNSUPPORTED_DIR_IMPORT' && err.code !== 'ERR_MODULE_NOT_FOUND')) throw err;
    if (specifier.endsWith('.js')) throw err;
    // './gradients' is both dist/gradients.js and a directory: the file wins, as in a bundler.
    try {
      return await next(specifier + '.js', context);
    } catch {
      return next(specifier + '/index.js', context);
    }
  }
}`;

let registered: Promise<void> | undefined;

/** Registers all tfjs-core gradients once per process (idempotent). */
export function ensureGradientsRegistered(): Promise<void> {
  registered ??= (async () => {
    if (!process.env.VITEST) register('data:text/javascript,' + encodeURIComponent(RESOLVE_HOOK));
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  })();
  return registered;
}
