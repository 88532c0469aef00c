/**
 * The web app's static server: 127.0.0.1 only, a random free port by default, nothing fetched from the network. It
 * bundles the page's TypeScript with esbuild once at start (in memory) and serves the page, the tfjs wasm binaries and
 * onnxruntime-web's files from node_modules, and one exported model folder under /model/. Cross-origin isolation
 * headers are sent so the wasm runtimes may use threads (SharedArrayBuffer).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.bin': 'application/octet-stream',
  '.onnx': 'application/octet-stream', '.png': 'image/png', '.jpg': 'image/jpeg', '.webm': 'video/webm', '.mp4': 'video/mp4',
};

export interface WebAppServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Folder written by `stereodepth export` (any format); served at /model/. Optional: the page can also open a folder. */
  modelDir?: string;
  /** 0 (default) = a random free port. */
  port?: number;
  /** Extra folders served read-only under /files/<name>/ (the e2e test's inputs, sample videos). */
  extra?: Record<string, string>;
}

/** The page's script, bundled for the browser (fails on any Node built-in it would pull in). */
export async function bundleApp(): Promise<string> {
  const result = await build({
    entryPoints: [join(APP_DIR, 'src', 'app.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    sourcemap: 'inline',
    logLevel: 'silent',
    // tfjs-backend-wasm and onnxruntime-web reference Node modules behind runtime checks they never take in a page
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto', 'util'],
  });
  return result.outputFiles[0]!.text;
}

/** The folders of the npm packages whose runtime files the page loads. */
function packageDist(pkg: string, file: string): string {
  return dirname(require.resolve(`${pkg}/${file}`));
}

/** Resolves `rel` inside `root`, refusing anything that escapes it. */
function inside(root: string, rel: string): string | undefined {
  const p = normalize(join(root, decodeURIComponent(rel)));
  return p === root || p.startsWith(root + sep) ? p : undefined;
}

/** What the model folder holds, for the page's runtime choice: every model.json and .onnx file (relative paths). */
export function modelIndex(dir: string): { files: string[] } {
  const files: string[] = [];
  const walk = (d: string, depth: number): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) { if (depth < 2) walk(p, depth + 1); }
      else if (name === 'model.json' || name.endsWith('.onnx')) files.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir, 0);
  return { files };
}

export async function serveWebApp(opts: ServeOptions = {}): Promise<WebAppServer> {
  if (opts.modelDir !== undefined && !existsSync(opts.modelDir)) throw new Error(`serve-web: model folder ${opts.modelDir} does not exist (write one with 'stereodepth export')`);
  const app = await bundleApp();
  const roots: Record<string, string> = {
    '/wasm/': packageDist('@tensorflow/tfjs-backend-wasm', 'dist/tfjs-backend-wasm.wasm'),
    '/ort/': packageDist('onnxruntime-web', 'ort-wasm-simd-threaded.wasm'),
    ...(opts.modelDir !== undefined ? { '/model/': resolve(opts.modelDir) } : {}),
    ...Object.fromEntries(Object.entries(opts.extra ?? {}).map(([k, v]) => [`/files/${k}/`, resolve(v)])),
    '/': APP_DIR,
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void => {
      res.writeHead(status, {
        'content-type': type, 'cache-control': 'no-store',
        'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'GET only');
    if (path === '/app.js') return send(200, app, MIME['.js']);
    if (path === '/model-index.json') {
      return send(200, JSON.stringify(opts.modelDir !== undefined ? modelIndex(resolve(opts.modelDir)) : { files: [] }), MIME['.json']);
    }
    for (const [prefix, root] of Object.entries(roots)) {
      if (!path.startsWith(prefix)) continue;
      // the app folder's node-side tools and sources are not part of the site
      if (prefix === '/' && /^\/(tools|src)\//.test(path)) return send(404, 'not found');
      const file = inside(root, path === '/' ? 'index.html' : path.slice(prefix.length));
      if (!file || !existsSync(file) || !statSync(file).isFile()) return send(404, `not found: ${path}`);
      return send(200, readFileSync(file), MIME[extname(file).toLowerCase()] ?? 'application/octet-stream');
    }
    return send(404, `not found: ${path}`);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ok());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('serve-web: the server has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    port: address.port,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
