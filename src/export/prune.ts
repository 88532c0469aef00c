/** Dead-node removal for the IR: keeps the nodes the outputs depend on, and the constants those nodes read. */
import type { Graph } from './graph.js';
import { producers } from './graph.js';

export function pruneGraph(g: Graph): Graph {
  const byOutput = producers(g);
  const live = new Set<string>();
  const stack = [...g.outputs];
  while (stack.length) {
    const t = stack.pop()!;
    const node = byOutput.get(t);
    if (!node || live.has(node.name)) continue;
    live.add(node.name);
    stack.push(...Object.values(node.inputs));
  }
  const nodes = g.nodes.filter((n) => live.has(n.name));
  const read = new Set(nodes.flatMap((n) => Object.values(n.inputs)));
  const consts = new Map([...g.consts].filter(([name]) => read.has(name)));
  const produced = new Set([g.input.name, ...nodes.flatMap((n) => n.outputs)]);
  const specs = new Map([...g.specs].filter(([name]) => produced.has(name)));
  return { ...g, nodes, consts, specs };
}
