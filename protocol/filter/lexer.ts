// Tokens of the filter language. The lexer never throws: what it cannot read becomes an
// 'invalid' token carrying the reason, so the parser reports it and completion still works.

export type TokenKind =
  | 'name'
  | 'number'
  | 'string'
  | 'op'
  | 'and'
  | 'or'
  | 'not'
  | 'lparen'
  | 'rparen'
  | 'in'
  | 'lbrace'
  | 'rbrace'
  | 'comma'
  | 'invalid'
  | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The source text of the token. */
  readonly text: string;
  readonly start: number;
  readonly end: number;
  /** Decoded string literal, number value, canonical operator, or the reason for 'invalid'. */
  readonly value?: string | number;
}

const WORD_OPERATORS: Readonly<Record<string, TokenKind>> = {
  and: 'and',
  or: 'or',
  not: 'not',
  in: 'in',
  contains: 'op',
  matches: 'op',
};

const isNameStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isNameChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

/**
 * Length of the name at `i`: letters, digits, `_`, and `-` or `->` joining words (d2t names,
 * bad-length, D->T), `.` joining words (the dissector's kd.api_name).
 */
export function nameLength(src: string, i: number): number {
  let j = i;
  while (j < src.length) {
    const c = src.charAt(j);
    if (isNameChar(c)) j++;
    else if (c === '-' && src.charAt(j + 1) === '>' && isNameStart(src.charAt(j + 2))) j += 2;
    else if ((c === '-' || c === '.') && isNameStart(src.charAt(j + 1))) j += 1;
    else break;
  }
  return j - i;
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '"': '"',
  '\\': '\\',
};

function readString(src: string, start: number): Token {
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src.charAt(i);
    if (c === '"')
      return { kind: 'string', text: src.slice(start, i + 1), start, end: i + 1, value: out };
    if (c === '\\' && i + 1 < src.length) {
      const e = src.charAt(i + 1);
      // Unknown escapes keep their backslash, so regexes read naturally: "\d+" is \d+.
      out += ESCAPES[e] ?? `\\${e}`;
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return {
    kind: 'invalid',
    text: src.slice(start),
    start,
    end: src.length,
    value: 'string has no closing "',
  };
}

function readNumber(src: string, start: number): Token {
  const m = /^(0[xX][0-9A-Fa-f]+|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?)/.exec(src.slice(start));
  const text = m?.[0] ?? src.charAt(start);
  let end = start + text.length;
  if (end < src.length && isNameChar(src.charAt(end))) {
    end += nameLength(src, end);
    return {
      kind: 'invalid',
      text: src.slice(start, end),
      start,
      end,
      value: `bad number "${src.slice(start, end)}"`,
    };
  }
  return { kind: 'number', text, start, end, value: Number(text) };
}

/** The next token is a value: after a comparison, or inside `in {...}`. */
function startsValue(out: readonly Token[]): boolean {
  const prev = out[out.length - 1]?.kind;
  return prev === 'op' || prev === 'lbrace' || prev === 'comma';
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = src.slice(i, i + 2);
    let tok: Token;
    if (c === '(' || c === ')') {
      tok = { kind: c === '(' ? 'lparen' : 'rparen', text: c, start: i, end: i + 1 };
    } else if (c === '{' || c === '}' || c === ',') {
      const kind = c === '{' ? 'lbrace' : c === '}' ? 'rbrace' : 'comma';
      tok = { kind, text: c, start: i, end: i + 1 };
    } else if (two === '&&' || two === '||') {
      tok = { kind: two === '&&' ? 'and' : 'or', text: two, start: i, end: i + 2 };
    } else if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
      tok = { kind: 'op', text: two, start: i, end: i + 2, value: two };
    } else if (c === '<' || c === '>') {
      tok = { kind: 'op', text: c, start: i, end: i + 1, value: c };
    } else if (c === '!') {
      tok = { kind: 'not', text: c, start: i, end: i + 1 };
    } else if (c === '"') {
      tok = readString(src, i);
    } else if (/[0-9]/.test(c)) {
      tok = readNumber(src, i);
    } else if (c === '-' && /[0-9]/.test(src.charAt(i + 1)) && startsValue(out)) {
      // A negative number (a time before the time reference): only where a value goes.
      const n = readNumber(src, i + 1);
      tok =
        n.kind === 'number'
          ? { ...n, text: `-${n.text}`, start: i, value: -(n.value as number) }
          : { ...n, start: i, text: `-${n.text}` };
    } else if (isNameStart(c)) {
      const text = src.slice(i, i + nameLength(src, i));
      const word = WORD_OPERATORS[text.toLowerCase()];
      tok =
        word === undefined
          ? { kind: 'name', text, start: i, end: i + text.length }
          : { kind: word, text, start: i, end: i + text.length, value: text.toLowerCase() };
    } else {
      const what =
        c === '='
          ? 'unexpected "=" (use "==")'
          : c === '&' || c === '|'
            ? `unexpected "${c}" (use "${c}${c}")`
            : `unexpected character "${c}"`;
      tok = { kind: 'invalid', text: c, start: i, end: i + 1, value: what };
    }
    out.push(tok);
    i = tok.end;
  }
  out.push({ kind: 'end', text: '', start: src.length, end: src.length });
  return out;
}
