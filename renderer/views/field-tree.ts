// Links between the details tree and the hex view: paths of nodes and the deepest field
// covering a byte.

import type { FieldNode } from '../../protocol/kd/summary';

export interface FieldAt {
  readonly path: string;
  readonly node: FieldNode;
}

/** The deepest (most specific) field whose bytes include `offset`. */
export function fieldAt(fields: readonly FieldNode[], offset: number, prefix = ''): FieldAt | null {
  for (let i = 0; i < fields.length; i++) {
    const node = fields[i]!;
    const path = prefix ? `${prefix}.${i}` : String(i);
    if (offset >= node.offset && offset < node.offset + node.length) {
      const deeper = node.children ? fieldAt(node.children, offset, path) : null;
      return deeper ?? { path, node };
    }
  }
  return null;
}
