// The parsed form of a display filter. Plain data (serializable), with source positions
// (UTF-16 offsets, end exclusive) so errors and highlights can point into the input.

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'matches';
export const COMPARE_OPS: readonly CompareOp[] = [
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  'contains',
  'matches',
];

/**
 * A literal. A bare name is kept as written and resolved against its field: an enum value's
 * number, true/false for boolean fields, the name itself for string fields.
 */
export type FilterValue =
  | { readonly kind: 'number'; readonly value: number; readonly raw: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'name'; readonly name: string; readonly value: number | string | boolean };

interface Span {
  readonly start: number;
  readonly end: number;
}

export type FilterNode =
  | (Span & { readonly kind: 'or' | 'and'; readonly left: FilterNode; readonly right: FilterNode })
  | (Span & { readonly kind: 'not'; readonly operand: FilterNode })
  /** A bare field: the value of a boolean field, else "the row has this field". */
  | (Span & { readonly kind: 'field'; readonly field: string })
  /** `field in {a, b}`: the field equals one of the values. */
  | (Span & {
      readonly kind: 'in';
      readonly field: string;
      readonly values: readonly FilterValue[];
    })
  | (Span & {
      readonly kind: 'compare';
      readonly field: string;
      readonly op: CompareOp;
      readonly value: FilterValue;
    });

export interface FilterError {
  readonly message: string;
  readonly start: number;
  readonly end: number;
}

export type ParseResult =
  | { readonly ok: true; readonly ast: FilterNode }
  | { readonly ok: false; readonly error: FilterError };
