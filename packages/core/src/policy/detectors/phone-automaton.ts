// libphonenumber's digit patterns (national number and number types) as one automaton per country,
// read one digit at a time with a table lookup, instead of several regular expressions per number.
//
// The patterns of libphonenumber's metadata use a small subset of regular expressions over digits:
// digits, `\d`, classes (`[2-9]`, `[^0]`), groups, alternation and the quantifiers `?`, `*`, `+`, `{n}`,
// `{n,}`, `{n,m}`. Those compile to an NFA (Thompson's construction), turned lazily into a DFA whose
// states carry which patterns accept there. A pattern outside the subset (a backreference, a lazy
// quantifier) makes `compileDigitPatterns` return `undefined`, and the caller keeps its expressions. The
// DFA is bounded (`MAX_STATES`); past it a run answers `undefined`, and the caller asks its expressions.

/** A parsed pattern. */
type Node =
  | { readonly kind: 'set'; readonly mask: number }
  | { readonly kind: 'sequence'; readonly items: readonly Node[] }
  | { readonly kind: 'alternatives'; readonly options: readonly Node[] }
  | { readonly kind: 'repeat'; readonly node: Node; readonly min: number; readonly max: number };

const ALL_DIGITS = 0x3ff;
const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/** Parses `pattern`, or `undefined` when it is outside the subset. */
function parse(pattern: string): Node | undefined {
  let position = 0;
  const fail = (): never => {
    throw new RangeError('unsupported');
  };
  const number = (): number => {
    const start = position;
    while (position < pattern.length && isDigit(pattern.charCodeAt(position))) position++;
    if (position === start) fail();
    return Number(pattern.slice(start, position));
  };
  const parseClass = (): number => {
    // After `[`.
    let negated = false;
    if (pattern[position] === '^') {
      negated = true;
      position++;
    }
    let mask = 0;
    while (pattern[position] !== ']') {
      if (position >= pattern.length) fail();
      if (pattern[position] === '\\' && pattern[position + 1] === 'd') {
        mask |= ALL_DIGITS;
        position += 2;
        continue;
      }
      const low = pattern.charCodeAt(position);
      if (!isDigit(low)) fail();
      position++;
      if (pattern[position] === '-' && pattern[position + 1] !== ']') {
        const high = pattern.charCodeAt(position + 1);
        if (!isDigit(high) || high < low) fail();
        for (let code = low; code <= high; code++) mask |= 1 << (code - 48);
        position += 2;
      } else mask |= 1 << (low - 48);
    }
    position++;
    return negated ? ~mask & ALL_DIGITS : mask;
  };
  const atom = (): Node => {
    const char = pattern[position];
    if (char === '(') {
      position++;
      if (pattern[position] === '?') {
        if (pattern[position + 1] !== ':') fail();
        position += 2;
      }
      const inner = alternatives();
      if (pattern[position] !== ')') fail();
      position++;
      return inner;
    }
    if (char === '[') {
      position++;
      return { kind: 'set', mask: parseClass() };
    }
    if (char === '\\') {
      if (pattern[position + 1] !== 'd') fail();
      position += 2;
      return { kind: 'set', mask: ALL_DIGITS };
    }
    const code = pattern.charCodeAt(position);
    if (!isDigit(code)) fail();
    position++;
    return { kind: 'set', mask: 1 << (code - 48) };
  };
  const quantified = (): Node => {
    let node = atom();
    for (;;) {
      const char = pattern[position];
      let min: number;
      let max: number;
      if (char === '?') [min, max] = [0, 1];
      else if (char === '*') [min, max] = [0, Number.POSITIVE_INFINITY];
      else if (char === '+') [min, max] = [1, Number.POSITIVE_INFINITY];
      else if (char === '{') {
        position++;
        min = number();
        max = min;
        if (pattern[position] === ',') {
          position++;
          max = pattern[position] === '}' ? Number.POSITIVE_INFINITY : number();
        }
        if (pattern[position] !== '}' || max < min) fail();
      } else return node;
      position++;
      // A lazy or possessive quantifier is not in libphonenumber's patterns.
      if (pattern[position] === '?' || pattern[position] === '+') fail();
      node = { kind: 'repeat', node, min, max };
    }
  };
  const sequence = (): Node => {
    const items: Node[] = [];
    while (position < pattern.length && pattern[position] !== '|' && pattern[position] !== ')')
      items.push(quantified());
    return items.length === 1 ? items[0]! : { kind: 'sequence', items };
  };
  const alternatives = (): Node => {
    const options = [sequence()];
    while (pattern[position] === '|') {
      position++;
      options.push(sequence());
    }
    return options.length === 1 ? options[0]! : { kind: 'alternatives', options };
  };
  try {
    const node = alternatives();
    return position === pattern.length ? node : undefined;
  } catch {
    return undefined;
  }
}

/** The NFA under construction: by state, its digit transitions and its empty transitions. */
interface Nfa {
  readonly masks: number[][];
  readonly targets: number[][];
  readonly empty: number[][];
  readonly accepts: number[];
}

function addState(nfa: Nfa): number {
  nfa.masks.push([]);
  nfa.targets.push([]);
  nfa.empty.push([]);
  nfa.accepts.push(0);
  return nfa.masks.length - 1;
}

/** The NFA states of `node` from `start`; returns its end state. */
function build(nfa: Nfa, node: Node, start: number): number {
  switch (node.kind) {
    case 'set': {
      const end = addState(nfa);
      nfa.masks[start]!.push(node.mask);
      nfa.targets[start]!.push(end);
      return end;
    }
    case 'sequence': {
      let current = start;
      for (const item of node.items) current = build(nfa, item, current);
      return current;
    }
    case 'alternatives': {
      const end = addState(nfa);
      for (const option of node.options) {
        const entry = addState(nfa);
        nfa.empty[start]!.push(entry);
        nfa.empty[build(nfa, option, entry)]!.push(end);
      }
      return end;
    }
    case 'repeat': {
      let current = start;
      for (let index = 0; index < node.min; index++) current = build(nfa, node.node, current);
      if (node.max === Number.POSITIVE_INFINITY) {
        const loop = addState(nfa);
        nfa.empty[current]!.push(loop);
        nfa.empty[build(nfa, node.node, loop)]!.push(loop);
        return loop;
      }
      const end = addState(nfa);
      nfa.empty[current]!.push(end);
      for (let index = node.min; index < node.max; index++) {
        current = build(nfa, node.node, current);
        nfa.empty[current]!.push(end);
      }
      return end;
    }
  }
}

/** The most DFA states one automaton keeps (10 transitions of 4 bytes each). */
const MAX_STATES = 1024;
const UNKNOWN = -1;

/** Several digit patterns read together: bit `i` of a state's mask says pattern `i` accepts there. */
export interface DigitAutomaton {
  readonly nfa: Nfa;
  /** By DFA state: its NFA states (sorted), its accept mask, its transitions by digit. */
  readonly sets: Int32Array[];
  readonly masks: number[];
  /** Transitions, 10 per state (`UNKNOWN`: not computed yet); grown as states are added. */
  table: Int32Array;
  readonly index: Map<string, number>;
  readonly seen: Int32Array;
  generation: number;
}

/**
 * One automaton for `patterns` (at most 30), each matched as a whole (`^(?:pattern)$`), or `undefined`
 * when one of them is outside the supported subset.
 */
export function compileDigitPatterns(patterns: readonly string[]): DigitAutomaton | undefined {
  const nfa: Nfa = { masks: [], targets: [], empty: [], accepts: [] };
  const start = addState(nfa);
  for (const [bit, pattern] of patterns.entries()) {
    const node = parse(pattern);
    if (node === undefined) return undefined;
    const entry = addState(nfa);
    nfa.empty[start]!.push(entry);
    nfa.accepts[build(nfa, node, entry)]! |= 1 << bit;
  }
  const automaton: DigitAutomaton = {
    nfa,
    sets: [],
    masks: [],
    table: new Int32Array(160).fill(UNKNOWN),
    index: new Map(),
    seen: new Int32Array(nfa.masks.length),
    generation: 0,
  };
  const initial: number[] = [];
  closeOver(automaton, [start], initial);
  stateOf(automaton, initial);
  return automaton;
}

/** Adds to `out` every state reachable from `from` by empty transitions (itself included). */
function closeOver(automaton: DigitAutomaton, from: readonly number[], out: number[]): void {
  const generation = ++automaton.generation;
  const stack = [...from];
  while (stack.length > 0) {
    const state = stack.pop()!;
    if (automaton.seen[state] === generation) continue;
    automaton.seen[state] = generation;
    out.push(state);
    for (const next of automaton.nfa.empty[state]!) stack.push(next);
  }
}

function stateOf(automaton: DigitAutomaton, states: number[]): number {
  states.sort((a, b) => a - b);
  const key = states.join(',');
  const known = automaton.index.get(key);
  if (known !== undefined) return known;
  if (automaton.sets.length >= MAX_STATES) return UNKNOWN;
  let mask = 0;
  for (const state of states) mask |= automaton.nfa.accepts[state]!;
  automaton.sets.push(Int32Array.from(states));
  automaton.masks.push(mask);
  if (automaton.sets.length * 10 > automaton.table.length) {
    const table = new Int32Array(automaton.table.length * 2).fill(UNKNOWN);
    table.set(automaton.table);
    automaton.table = table;
  }
  automaton.index.set(key, automaton.sets.length - 1);
  return automaton.sets.length - 1;
}

/** The transition from `state` on `digit`, computed (it is not in the table yet). */
function step(automaton: DigitAutomaton, state: number, digit: number): number {
  const bit = 1 << digit;
  const targets: number[] = [];
  for (const from of automaton.sets[state]!) {
    const masks = automaton.nfa.masks[from]!;
    for (let index = 0; index < masks.length; index++) {
      if ((masks[index]! & bit) !== 0) targets.push(automaton.nfa.targets[from]![index]!);
    }
  }
  const closed: number[] = [];
  closeOver(automaton, targets, closed);
  const next = stateOf(automaton, closed);
  if (next !== UNKNOWN) automaton.table[state * 10 + digit] = next;
  return next;
}

/**
 * The accept mask after reading all of `digits[from..to)` (ASCII digit codes): bit `i` set when pattern
 * `i` matches it as a whole; `undefined` when the automaton is at its size limit.
 */
export function matchDigits(
  automaton: DigitAutomaton,
  digits: Uint8Array,
  from: number,
  to: number,
): number | undefined {
  return readDigits(automaton, digits, from, to, false);
}

/**
 * The accept masks of every prefix of `digits[from..to)` (the empty one included), OR-ed: bit `i` set
 * when pattern `i` matches some prefix (`^(?:pattern)` without `$`); `undefined` at the size limit.
 */
export function matchPrefixes(
  automaton: DigitAutomaton,
  digits: Uint8Array,
  from: number,
  to: number,
): number | undefined {
  return readDigits(automaton, digits, from, to, true);
}

function readDigits(
  automaton: DigitAutomaton,
  digits: Uint8Array,
  from: number,
  to: number,
  prefixes: boolean,
): number | undefined {
  // (The table is reloaded only when a transition is computed: it may then have grown.)
  let table = automaton.table;
  const masks = automaton.masks;
  let state = 0;
  let mask = masks[0]!;
  for (let index = from; index < to; index++) {
    const digit = digits[index]! - 48;
    if (digit < 0 || digit > 9) return undefined;
    let next = table[state * 10 + digit]!;
    if (next === UNKNOWN) {
      next = step(automaton, state, digit);
      if (next === UNKNOWN) return undefined;
      table = automaton.table;
    }
    state = next;
    if (prefixes) {
      // The empty set: no longer prefix can match.
      if (automaton.sets[state]!.length === 0) return mask;
      mask |= masks[state]!;
    }
  }
  return prefixes ? mask : masks[state]!;
}
