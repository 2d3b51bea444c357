// Details-tree lookups for tests of the payload dissectors.
import type { FieldNode } from '../../protocol/kd/summary';

/** The first node named `name`, depth first (children before the next sibling). */
export function findField(
  nodes: readonly FieldNode[] | undefined,
  name: string,
): FieldNode | undefined {
  for (const n of nodes ?? []) {
    if (n.name === name) return n;
    const inner = findField(n.children, name);
    if (inner) return inner;
  }
  return undefined;
}
