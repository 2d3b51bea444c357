// Recursive-descent parser with checking against the field table, so that every mistake
// (unknown field, value of the wrong kind, bad regex) comes back with its position for
// inline display. It never throws.
//
//   or      := and (("||" | "or") and)*
//   and     := unary (("&&" | "and") unary)*
//   unary   := ("!" | "not") unary | primary
//   primary := "(" or ")" | NAME [op value | "in" "{" value ([","] value)* "}"]
//   value   := NUMBER | STRING | NAME

import type { CompareOp, FilterError, FilterNode, FilterValue, ParseResult } from './ast';
import { DISSECTOR_ONLY_FIELDS, lookupField } from './fields';
import type { FieldDef } from './fields';
import { tokenize } from './lexer';
import type { Token } from './lexer';

/** Deeper filters are refused: evaluation and printing recurse over the tree. */
export const MAX_FILTER_DEPTH = 500;

class ParseFailure {
  constructor(readonly error: FilterError) {}
}

function fail(message: string, start: number, end: number): never {
  throw new ParseFailure({ message, start, end });
}

function describe(tok: Token): string {
  return tok.kind === 'end' ? 'the end of the filter' : `"${tok.text}"`;
}

const ORDERING: ReadonlySet<string> = new Set(['<', '<=', '>', '>=']);

function checkValue(field: FieldDef, op: CompareOp, tok: Token, opTok: Token): FilterValue {
  const text = op === 'contains' || op === 'matches';
  if (field.kind === 'boolean') {
    if (op !== '==' && op !== '!=') {
      fail(`${field.name} is true or false: use == or !=, or test it bare`, opTok.start, opTok.end);
    }
    if (tok.kind === 'name' && (tok.text === 'true' || tok.text === 'false')) {
      return { kind: 'name', name: tok.text, value: tok.text === 'true' };
    }
    fail(`${field.name} is compared with true or false, not ${describe(tok)}`, tok.start, tok.end);
  }
  if (field.kind === 'string' || (field.kind === 'enum' && text)) {
    if (ORDERING.has(op)) {
      fail(`${op} compares numbers; ${field.name} is text`, opTok.start, opTok.end);
    }
    let value: string;
    if (tok.kind === 'string') value = String(tok.value);
    else if (tok.kind === 'name') value = tok.text;
    else fail(`${field.name} is compared with a string, not ${describe(tok)}`, tok.start, tok.end);
    if (op === 'matches') {
      try {
        new RegExp(value, 'i');
      } catch (e) {
        fail(`bad regular expression: ${(e as Error).message}`, tok.start, tok.end);
      }
    }
    return tok.kind === 'string' ? { kind: 'string', value } : { kind: 'name', name: value, value };
  }
  if (text) fail(`${op} needs a text field; ${field.name} is a number`, opTok.start, opTok.end);
  if (tok.kind === 'number') return { kind: 'number', value: Number(tok.value), raw: tok.text };
  if (field.values && (tok.kind === 'name' || tok.kind === 'string')) {
    const name = tok.kind === 'name' ? tok.text : String(tok.value);
    const value = field.values?.get(name);
    if (value === undefined) {
      fail(`unknown ${field.name} value "${name}"`, tok.start, tok.end);
    }
    // A quoted enum name means the same as the bare one, and prints back bare.
    return { kind: 'name', name, value };
  }
  fail(`${field.name} is compared with a number, not ${describe(tok)}`, tok.start, tok.end);
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] ?? (this.tokens[this.tokens.length - 1] as Token);
  }
  private next(): Token {
    const tok = this.peek();
    if (tok.kind === 'invalid') fail(String(tok.value), tok.start, tok.end);
    if (tok.kind !== 'end') this.pos++;
    return tok;
  }
  private enter(tok: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      fail(`filter nested deeper than ${MAX_FILTER_DEPTH}`, tok.start, tok.end);
    }
  }

  parse(): FilterNode {
    const first = this.peek();
    if (first.kind === 'end') fail('empty filter', 0, 0);
    const ast = this.or();
    const rest = this.peek();
    if (rest.kind === 'invalid') this.next();
    if (rest.kind === 'rparen') fail('")" without "("', rest.start, rest.end);
    if (rest.kind !== 'end') {
      fail(`expected "&&", "||" or the end, not ${describe(rest)}`, rest.start, rest.end);
    }
    return ast;
  }

  private binary(kind: 'or' | 'and', operand: () => FilterNode): FilterNode {
    let left = operand();
    const depthBefore = this.depth;
    while (this.peek().kind === kind) {
      const opTok = this.next();
      this.enter(opTok);
      const right = operand();
      left = { kind, left, right, start: left.start, end: right.end };
    }
    this.depth = depthBefore;
    return left;
  }

  private or(): FilterNode {
    return this.binary('or', () => this.and());
  }

  private and(): FilterNode {
    return this.binary('and', () => this.unary());
  }

  private unary(): FilterNode {
    const tok = this.peek();
    if (tok.kind !== 'not') return this.primary();
    this.next();
    this.enter(tok);
    const operand = this.unary();
    this.depth--;
    return { kind: 'not', operand, start: tok.start, end: operand.end };
  }

  private set(field: FieldDef, fieldTok: Token): FilterNode {
    const inTok = this.next();
    if (field.kind === 'boolean') {
      fail(`${field.name} is true or false: use == or !=, or test it bare`, inTok.start, inTok.end);
    }
    const open = this.next();
    if (open.kind !== 'lbrace')
      fail(`expected "{" after in, not ${describe(open)}`, open.start, open.end);
    const values: FilterValue[] = [];
    for (;;) {
      let tok = this.next();
      if (tok.kind === 'comma' && values.length > 0) tok = this.next();
      if (tok.kind === 'rbrace') {
        if (values.length === 0) fail('empty set: name at least one value', open.start, tok.end);
        return { kind: 'in', field: field.name, values, start: fieldTok.start, end: tok.end };
      }
      if (tok.kind !== 'name' && tok.kind !== 'number' && tok.kind !== 'string') {
        fail(`expected a value or "}", not ${describe(tok)}`, tok.start, tok.end);
      }
      values.push(checkValue(field, '==', tok, inTok));
    }
  }

  private primary(): FilterNode {
    const tok = this.next();
    if (tok.kind === 'lparen') {
      this.enter(tok);
      const inner = this.or();
      const close = this.peek();
      if (close.kind !== 'rparen') {
        if (close.kind === 'invalid') this.next();
        fail(
          `expected ")" to close the "(" at ${tok.start}, not ${describe(close)}`,
          close.start,
          close.end,
        );
      }
      this.next();
      this.depth--;
      // The span covers the parentheses so errors and highlights include them.
      return { ...inner, start: tok.start, end: close.end };
    }
    if (tok.kind !== 'name') {
      fail(`expected a field name, not ${describe(tok)}`, tok.start, tok.end);
    }
    const field = lookupField(tok.text);
    if (field === undefined) {
      fail(
        DISSECTOR_ONLY_FIELDS.has(tok.text)
          ? `${tok.text} is a field of the Wireshark dissector that the packet list does not carry (see the details pane)`
          : `unknown field "${tok.text}"`,
        tok.start,
        tok.end,
      );
    }
    const opTok = this.peek();
    if (opTok.kind === 'in') return this.set(field, tok);
    if (opTok.kind !== 'op') {
      return { kind: 'field', field: field.name, start: tok.start, end: tok.end };
    }
    this.next();
    const op = String(opTok.value) as CompareOp;
    const valueTok = this.next();
    if (valueTok.kind !== 'name' && valueTok.kind !== 'number' && valueTok.kind !== 'string') {
      fail(`expected a value after ${op}, not ${describe(valueTok)}`, valueTok.start, valueTok.end);
    }
    const value = checkValue(field, op, valueTok, opTok);
    return { kind: 'compare', field: field.name, op, value, start: tok.start, end: valueTok.end };
  }
}

/** Parses and checks a display filter. Never throws. */
export function parseFilter(src: string): ParseResult {
  try {
    return { ok: true, ast: new Parser(tokenize(src)).parse() };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: e.error };
    // A bug here must not take the UI down with it; say where it happened.
    return {
      ok: false,
      error: { message: `filter parser failed: ${String(e)}`, start: 0, end: src.length },
    };
  }
}
