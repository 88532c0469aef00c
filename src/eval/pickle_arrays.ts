/**
 * Just enough of Python's pickle to read a numpy object array of numeric arrays — the `data` member of
 * monodepth2's `gt_depths.npz` (np.save pickles object arrays, protocol 3 on numpy 1.x, 4 on numpy 2.x).
 * Understands numpy's `_reconstruct` + BUILD state (version, shape, dtype, fortran, raw bytes | list) and
 * dtype('f4', False, True) + BUILD (3, '<', ...). Anything else is refused with the opcode named.
 */
import type { PlaneMap } from './resize.js';

interface PyGlobal { kind: 'global'; module: string; name: string }
interface PyDtype { kind: 'dtype'; code: string; endian: string }
interface PyArray { kind: 'ndarray'; shape: number[]; dtype?: PyDtype; data?: Uint8Array; items?: unknown[] }
type PyValue = unknown;

const MARK = Symbol('mark');

/** Decodes the pickle stream of an object ndarray; returns its elements as 2-D maps. */
export function unpickleObjectArrayOfMaps(bytes: Uint8Array, where: string): PlaneMap[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const memo: PyValue[] = [];
  const text = (a: number, b: number) => new TextDecoder().decode(bytes.subarray(a, b));
  const popMark = (): PyValue[] => {
    const items: PyValue[] = [];
    for (;;) {
      const v = stack.pop();
      if (v === MARK) return items.reverse();
      if (stack.length === 0 && v === undefined) throw new Error(`${where}: pickle MARK not found`);
      items.push(v);
    }
  };
  let pc = 0;
  for (;;) {
    const op = bytes[pc++];
    switch (op) {
      case 0x80: pc++; break; // PROTO
      case 0x95: pc += 8; break; // FRAME
      case 0x2e: { // STOP
        const top = stack.pop() as PyArray;
        if (!top || top.kind !== 'ndarray' || !top.items) throw new Error(`${where}: pickle does not hold an object array`);
        return top.items.map((item, i) => toMap(item as PyArray, `${where}[${i}]`));
      }
      case 0x63: { // GLOBAL 'module\nname\n'
        const e1 = bytes.indexOf(0x0a, pc);
        const e2 = bytes.indexOf(0x0a, e1 + 1);
        stack.push({ kind: 'global', module: text(pc, e1), name: text(e1 + 1, e2) } satisfies PyGlobal);
        pc = e2 + 1;
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = stack.pop() as string;
        const module = stack.pop() as string;
        stack.push({ kind: 'global', module, name } satisfies PyGlobal);
        break;
      }
      case 0x94: memo.push(stack[stack.length - 1]); break; // MEMOIZE
      case 0x71: memo[bytes[pc++]!] = stack[stack.length - 1]; break; // BINPUT
      case 0x72: memo[view.getUint32(pc, true)] = stack[stack.length - 1]; pc += 4; break; // LONG_BINPUT
      case 0x68: stack.push(memo[bytes[pc++]!]); break; // BINGET
      case 0x6a: stack.push(memo[view.getUint32(pc, true)]); pc += 4; break; // LONG_BINGET
      case 0x28: stack.push(MARK); break;
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: stack.push([stack.pop()]); break; // TUPLE1
      case 0x86: { const b = stack.pop(); const a = stack.pop(); stack.push([a, b]); break; }
      case 0x87: { const c = stack.pop(); const b = stack.pop(); const a = stack.pop(); stack.push([a, b, c]); break; }
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x61: { const v = stack.pop(); (stack[stack.length - 1] as PyValue[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); (stack[stack.length - 1] as PyValue[]).push(...items); break; } // APPENDS
      case 0x4b: stack.push(bytes[pc++]!); break; // BININT1
      case 0x4d: stack.push(view.getUint16(pc, true)); pc += 2; break; // BININT2
      case 0x4a: stack.push(view.getInt32(pc, true)); pc += 4; break; // BININT
      case 0x8a: { // LONG1
        const n = bytes[pc++]!;
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[pc + i]!);
        if (n > 0 && bytes[pc + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number(v));
        pc += n;
        break;
      }
      case 0x47: stack.push(view.getFloat64(pc, false)); pc += 8; break; // BINFLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x8c: { const n = bytes[pc++]!; stack.push(text(pc, pc + n)); pc += n; break; } // SHORT_BINUNICODE
      case 0x58: { const n = view.getUint32(pc, true); pc += 4; stack.push(text(pc, pc + n)); pc += n; break; } // BINUNICODE
      case 0x55: { const n = bytes[pc++]!; stack.push(text(pc, pc + n)); pc += n; break; } // SHORT_BINSTRING
      case 0x43: { const n = bytes[pc++]!; stack.push(bytes.subarray(pc, pc + n)); pc += n; break; } // SHORT_BINBYTES
      case 0x42: { const n = view.getUint32(pc, true); pc += 4; stack.push(bytes.subarray(pc, pc + n)); pc += n; break; } // BINBYTES
      case 0x8e: { const n = Number(view.getBigUint64(pc, true)); pc += 8; stack.push(bytes.subarray(pc, pc + n)); pc += n; break; } // BINBYTES8
      case 0x52: { // REDUCE
        const args = stack.pop() as PyValue[];
        const fn = stack.pop() as PyGlobal;
        if (fn?.kind !== 'global') throw new Error(`${where}: pickle REDUCE on a non-global`);
        if (fn.name === '_reconstruct') stack.push({ kind: 'ndarray', shape: [] } satisfies PyArray);
        else if (fn.name === 'dtype') stack.push({ kind: 'dtype', code: String(args[0]), endian: '=' } satisfies PyDtype);
        else throw new Error(`${where}: pickle calls ${fn.module}.${fn.name}; only numpy arrays are supported`);
        break;
      }
      case 0x62: { // BUILD
        const state = stack.pop() as PyValue[];
        const obj = stack[stack.length - 1] as PyArray | PyDtype;
        if (obj.kind === 'dtype') obj.endian = String(state[1]);
        else if (obj.kind === 'ndarray') {
          obj.shape = state[1] as number[];
          obj.dtype = state[2] as PyDtype;
          if (state[3] === true) throw new Error(`${where}: Fortran-ordered array in pickle`);
          if (state[4] instanceof Uint8Array) obj.data = state[4];
          else obj.items = state[4] as unknown[];
        }
        break;
      }
      default:
        throw new Error(`${where}: unsupported pickle opcode 0x${(op ?? 0).toString(16)} at byte ${pc - 1}`);
    }
  }
}

function toMap(arr: PyArray, where: string): PlaneMap {
  if (!arr || arr.kind !== 'ndarray' || !arr.data || !arr.dtype) throw new Error(`${where}: element is not a numeric array`);
  if (arr.shape.length !== 2) throw new Error(`${where}: expected a 2-D depth map, got shape (${arr.shape.join(', ')})`);
  if (arr.dtype.endian === '>') throw new Error(`${where}: big-endian arrays are not supported`);
  const [h, w] = arr.shape as [number, number];
  const copy = arr.data.slice();
  let data: Float32Array | Float64Array;
  if (arr.dtype.code === 'f4') data = new Float32Array(copy.buffer, 0, h * w);
  else if (arr.dtype.code === 'f8') data = new Float64Array(copy.buffer, 0, h * w);
  else throw new Error(`${where}: dtype ${arr.dtype.code}; expected f4 or f8`);
  return { data, height: h, width: w };
}
