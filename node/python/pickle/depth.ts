/**
 * Nesting depth of a decoded value, measured without recursion. The decoder is
 * a stack machine, so a short pickle can build a very deep value (a chain of
 * TUPLE1s); this check keeps what we hand out re-encodable and safe for
 * recursive consumers. Shared objects are measured once (first visit, in
 * encoder order), so DAGs and cycles cost time linear in their size.
 */
import { PickleLimitError } from './errors.js';
import { PyException, PyFrozenSet, PyOpaque, PyToken, PyTuple, type PyValue } from './values.js';

function children(node: object): readonly unknown[] {
  if (Array.isArray(node)) return node;
  if (node instanceof PyTuple) return node.items;
  if (node instanceof Map) {
    const out: unknown[] = [];
    for (const [key, value] of node) out.push(key, value);
    return out;
  }
  if (node instanceof Set) return [...node];
  if (node instanceof PyFrozenSet) return node.items;
  if (node instanceof PyException) return node.state ? [node.args, node.state] : [node.args];
  if (node instanceof PyToken) return [node.address];
  if (node instanceof PyOpaque) {
    const out: unknown[] = [node.args, node.kwargs, node.state, ...node.listItems];
    for (const [key, value] of node.dictItems) out.push(key, value);
    return out;
  }
  return [];
}

/** Throws `PickleLimitError` when containers nest more than `maxDepth` levels. */
export function checkDepth(root: PyValue, maxDepth: number): void {
  if (root === null || typeof root !== 'object' || root instanceof Uint8Array) return;
  const visited = new Set<object>();
  const pending: Array<[object, number]> = [[root, 1]];
  for (let entry = pending.pop(); entry; entry = pending.pop()) {
    const [node, depth] = entry;
    if (visited.has(node)) continue;
    visited.add(node);
    if (depth > maxDepth) throw new PickleLimitError(`value nests deeper than ${maxDepth} levels`);
    const kids = children(node);
    // Reverse so the first child is explored first, as the encoder would.
    for (let i = kids.length - 1; i >= 0; i--) {
      const kid = kids[i];
      if (kid !== null && typeof kid === 'object' && !(kid instanceof Uint8Array) && !visited.has(kid)) {
        pending.push([kid, depth + 1]);
      }
    }
  }
}
