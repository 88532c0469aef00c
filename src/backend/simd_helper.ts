/**
 * A helper thread for the project's SIMD module (simd_kernels.ts) on tfjs-wasm's threaded build, whose heap is a
 * shared WebAssembly.Memory: a worker instantiates the same module on the same heap, and a kernel whose work splits
 * into disjoint output ranges runs one range there while the calling thread (and the other helpers) run the others.
 *
 * Why threads of our own: XNNPACK's thread pool lives inside tfjs's module and cannot run our code, so the SIMD
 * kernels ran on one core while the others waited. The handshake is a few integers in a SharedArrayBuffer and
 * Atomics.wait / notify (no messages, no copies; ~10-50 us per call, so only large kernels split). Each range is
 * computed exactly as the whole kernel computes it, so splitting changes no result bit.
 */
import { Worker } from 'node:worker_threads';

/** Control words: the request number, the number of the last request finished, the function, its arg count, error. */
const REQUEST = 0;
const DONE = 1;
const FUNCTION = 2;
const ARG_COUNT = 3;
const FAILED = 4;
const READY = 5;
const MAX_ARGS = 16;
/** How long join() waits for a worker that never came up (a kernel call itself takes milliseconds). */
const BOOT_TIMEOUT_MS = 30_000;

/** The worker: waits for a request, runs exports[name](...args) on the shared heap, reports, waits again. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, bytes, control, names } = workerData;
const exports_ = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
const words = new Int32Array(control, 0, 8);
const args = new Float64Array(control, 32, ${MAX_ARGS});
Atomics.store(words, ${READY}, 1);
let seen = 0;
for (;;) {
  Atomics.wait(words, ${REQUEST}, seen);
  const request = Atomics.load(words, ${REQUEST});
  if (request === seen) continue;
  seen = request;
  try {
    exports_[names[words[${FUNCTION}]]](...Array.prototype.slice.call(args, 0, words[${ARG_COUNT}]));
    words[${FAILED}] = 0;
  } catch (e) {
    words[${FAILED}] = 1;
  }
  Atomics.store(words, ${DONE}, request);
  Atomics.notify(words, ${DONE});
}
`;

/** Every helper started in this process, so `stopSimdHelpers` can end their threads. */
const started = new Set<SimdHelper>();

/** Ends every helper thread (with the wasm backend they serve: shutdownBackend). */
export function stopSimdHelpers(): void {
  for (const helper of started) helper.stop();
}

export class SimdHelper {
  private readonly worker: Worker;
  private readonly words: Int32Array;
  private readonly args: Float64Array;
  private readonly index: Map<string, number>;
  private pending = 0;
  /** Set by stop(): the owner makes a new helper if the heap is used again. */
  stopped = false;

  constructor(memory: object, bytes: Uint8Array, names: string[]) {
    const control = new SharedArrayBuffer(32 + 8 * MAX_ARGS);
    this.words = new Int32Array(control, 0, 8);
    this.args = new Float64Array(control, 32, MAX_ARGS);
    this.index = new Map(names.map((n, i) => [n, i]));
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { memory, bytes, control, names } });
    // The worker spends its life in Atomics.wait: it must not keep the process alive.
    this.worker.unref();
    started.add(this);
  }

  /** Ends the thread (start() then throws; simd_kernels.ts makes a new helper if the heap is used again). */
  stop(): void {
    this.stopped = true;
    started.delete(this);
    void this.worker.terminate();
  }

  /** Starts `name(...args)` on the helper thread; `join()` must follow before the next `start`. */
  start(name: string, args: number[]): void {
    const fn = this.index.get(name);
    if (fn === undefined) throw new Error(`SIMD helper: the module exports no '${name}'`);
    if (this.stopped) throw new Error('SIMD helper: start() after stop()');
    if (args.length > MAX_ARGS) throw new Error(`SIMD helper: ${name} takes at most ${MAX_ARGS} arguments`);
    if (this.pending !== 0) throw new Error('SIMD helper: start() called twice without join()');
    this.args.set(args);
    this.words[FUNCTION] = fn;
    this.words[ARG_COUNT] = args.length;
    this.pending = Atomics.add(this.words, REQUEST, 1) + 1;
    Atomics.notify(this.words, REQUEST);
  }

  /** Waits for the started call to finish. */
  join(): void {
    const request = this.pending;
    this.pending = 0;
    const since = Date.now();
    for (;;) {
      const done = Atomics.load(this.words, DONE);
      if (done === request) break;
      if (Atomics.wait(this.words, DONE, done, 1000) === 'timed-out' && Atomics.load(this.words, READY) === 0 &&
        Date.now() - since > BOOT_TIMEOUT_MS) {
        throw new Error(`SIMD helper: its worker thread did not start within ${BOOT_TIMEOUT_MS / 1000} s`);
      }
    }
    if (this.words[FAILED] !== 0) throw new Error('SIMD helper: the kernel failed on the helper thread');
  }
}
