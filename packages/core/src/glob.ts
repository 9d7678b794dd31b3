// Globs (`*`, `?`, `[a-z]`, `{a,b}`), matched case-insensitively in O(value length × pattern length)
// with no backtracking: a pattern compiles to a small NFA (Thompson's construction), turned lazily into a
// DFA (one table lookup per character once a transition is known) up to a bounded number of states, and
// simulated one character at a time past that. A literal pattern (no wildcard) is a string comparison.

/** The longest glob accepted (characters). */
export const MAX_GLOB_LENGTH = 1024;

const CHAR = 0;
const ANY = 1;
const CLASS = 2;
const SPLIT = 3;
const JUMP = 4;
const MATCH = 5;

interface CharClassNode {
  readonly negated: boolean;
  /** Inclusive ranges of UTF-16 code units, as pairs. */
  readonly ranges: readonly number[];
}

/** One NFA instruction: CHAR (a folded code unit), ANY, CLASS, SPLIT (two targets), JUMP, MATCH. */
interface Instruction {
  op: number;
  code: number;
  x: number;
  y: number;
  charClass: CharClassNode | undefined;
}

/** A compiled glob: `test(value)` is `true` when the whole value matches. */
export interface CompiledGlob {
  readonly pattern: string;
  /** The folded value a literal pattern equals, or `undefined` when the pattern has wildcards. */
  readonly literal: string | undefined;
  test(value: string): boolean;
}

const foldCache = new Map<number, number>();

/**
 * The case-folded form of one UTF-16 code unit: its lower case when that is a single code unit
 * (ASCII without a lookup), else the unit itself.
 */
export function foldCode(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code + 32 : code;
  let folded = foldCache.get(code);
  if (folded === undefined) {
    const lower = String.fromCharCode(code).toLowerCase();
    folded = lower.length === 1 ? lower.charCodeAt(0) : code;
    foldCache.set(code, folded);
  }
  return folded;
}

/** `value` with every code unit folded as {@link foldCode} does (same length). */
export function foldText(value: string): string {
  let ascii = true;
  for (let index = 0; index < value.length && ascii; index++) ascii = value.charCodeAt(index) < 128;
  if (ascii) return value.toLowerCase();
  let out = '';
  for (let index = 0; index < value.length; index++) out += String.fromCharCode(foldCode(value.charCodeAt(index)));
  return out;
}

function upperCode(code: number): number {
  if (code < 128) return code >= 97 && code <= 122 ? code - 32 : code;
  const upper = String.fromCharCode(code).toUpperCase();
  return upper.length === 1 ? upper.charCodeAt(0) : code;
}

function classHas(node: CharClassNode, code: number): boolean {
  const candidates = [code, foldCode(code), upperCode(code)];
  let inside = false;
  for (let index = 0; index < node.ranges.length && !inside; index += 2) {
    const low = node.ranges[index]!;
    const high = node.ranges[index + 1]!;
    for (const candidate of candidates) if (candidate >= low && candidate <= high) inside = true;
  }
  return inside !== node.negated;
}

/** Parses and compiles `pattern`; throws a `SyntaxError` that says what is wrong with it. */
function compile(pattern: string): CompiledGlob {
  if (pattern.length === 0) throw new SyntaxError('a glob cannot be empty');
  if (pattern.length > MAX_GLOB_LENGTH)
    throw new SyntaxError(`a glob is at most ${MAX_GLOB_LENGTH} characters (this one has ${pattern.length})`);
  if (!/[*?[\]{},]/.test(pattern)) {
    const literal = foldText(pattern);
    return { pattern, literal, test: (value) => value.length === literal.length && foldText(value) === literal };
  }
  const program: Instruction[] = [];
  const emit = (op: number, code = 0, charClass?: CharClassNode): number => {
    program.push({ op, code, x: -1, y: -1, charClass });
    return program.length - 1;
  };
  // Open brace groups: the SPLIT that enters the current alternative, and the JUMPs that leave each one.
  const groups: Array<{ split: number; exits: number[] }> = [];
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index]!;
    switch (char) {
      case '*': {
        // L: SPLIT(L+1, after) ; L+1: ANY ; JUMP L
        const split = emit(SPLIT);
        const any = emit(ANY);
        const jump = emit(JUMP);
        program[jump]!.x = split;
        program[split]!.x = any;
        program[split]!.y = program.length;
        break;
      }
      case '?':
        emit(ANY);
        break;
      case '[': {
        const end = pattern.indexOf(']', index + 2);
        if (end === -1) throw new SyntaxError(`unclosed "[" at position ${index} in "${pattern}"`);
        emit(CLASS, 0, parseClass(pattern.slice(index + 1, end), pattern));
        index = end;
        break;
      }
      case ']':
        throw new SyntaxError(`unexpected "]" at position ${index} in "${pattern}"`);
      case '{': {
        const split = emit(SPLIT);
        program[split]!.x = program.length;
        groups.push({ split, exits: [] });
        break;
      }
      case ',': {
        const group = groups[groups.length - 1];
        if (!group) {
          emit(CHAR, 44);
          break;
        }
        // End this alternative; the group's pending SPLIT gets a new SPLIT for the next one.
        group.exits.push(emit(JUMP));
        const next = emit(SPLIT);
        program[group.split]!.y = next;
        program[next]!.x = program.length;
        group.split = next;
        break;
      }
      case '}': {
        const group = groups.pop();
        if (!group) throw new SyntaxError(`unexpected "}" at position ${index} in "${pattern}"`);
        // The last alternative: its SPLIT's second branch is never taken (a JUMP to its first).
        program[group.split]!.y = program[group.split]!.x;
        for (const exit of group.exits) program[exit]!.x = program.length;
        break;
      }
      default:
        emit(CHAR, foldCode(char.charCodeAt(0)));
    }
  }
  if (groups.length > 0) throw new SyntaxError(`unclosed "{" in "${pattern}"`);
  emit(MATCH);
  const machine = matcher(program);
  return { pattern, literal: undefined, test: (value) => run(machine, value) };
}

function parseClass(body: string, pattern: string): CharClassNode {
  let negated = false;
  let index = 0;
  if (body[0] === '!' || body[0] === '^') {
    negated = true;
    index = 1;
  }
  const ranges: number[] = [];
  while (index < body.length) {
    const low = body.charCodeAt(index);
    if (body[index + 1] === '-' && index + 2 < body.length) {
      const high = body.charCodeAt(index + 2);
      if (high < low) throw new SyntaxError(`range out of order in "[${body}]" in "${pattern}"`);
      ranges.push(low, high);
      index += 3;
    } else {
      ranges.push(low, low);
      index += 1;
    }
  }
  if (ranges.length === 0) throw new SyntaxError(`empty class "[${body}]" in "${pattern}"`);
  return { negated, ranges };
}

/**
 * The matcher of one compiled glob: its NFA, with every state's epsilon closure computed once, and a
 * DFA built from it lazily (a state is a set of NFA states; a transition is computed the first time a
 * character leaves a state, then read from a table over ASCII codes). A pattern whose DFA would grow past
 * `MAX_DFA_STATES` (alternatives and classes that multiply) is matched by simulating the NFA instead:
 * the same answers, O(value × pattern) per match either way, and memory bounded per glob.
 */
interface Matcher {
  readonly program: readonly Instruction[];
  /** By NFA state: the states it reaches without consuming a character (itself included), as a list. */
  readonly closures: readonly Int32Array[];
  /** DFA states: their NFA states (sorted), whether they accept, their transitions. */
  readonly states: Int32Array[];
  readonly accepting: boolean[];
  /** By DFA state: the next state for ASCII codes (0: not computed yet, else index + 1). */
  readonly ascii: Uint8Array[];
  /** By DFA state: the next state for other code units (bounded: see `MAX_OTHER_CODES`). */
  readonly other: Map<number, number>[];
  readonly index: Map<string, number>;
  /** Set when the DFA reached `MAX_DFA_STATES`: the NFA is simulated from then on. */
  simulateOnly: boolean;
  /** Work arrays, reused by every match (matching never re-enters itself). */
  readonly mark: Float64Array;
  step: number;
  current: Int32Array;
  next: Int32Array;
}

/** The most DFA states one glob keeps (each holds a 128-byte table of ASCII transitions). */
const MAX_DFA_STATES = 64;
/** The most non-ASCII transitions one DFA state keeps. */
const MAX_OTHER_CODES = 256;

function matcher(program: readonly Instruction[]): Matcher {
  const size = program.length;
  const closures: Int32Array[] = [];
  const seen = new Uint8Array(size);
  for (let start = 0; start < size; start++) {
    seen.fill(0);
    const out: number[] = [];
    const stack = [start];
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (pc < 0 || pc >= size || seen[pc] === 1) continue;
      seen[pc] = 1;
      const instruction = program[pc]!;
      if (instruction.op === JUMP) stack.push(instruction.x);
      else if (instruction.op === SPLIT) stack.push(instruction.y, instruction.x);
      else out.push(pc);
    }
    closures.push(Int32Array.from(out));
  }
  const result: Matcher = {
    program,
    closures,
    states: [],
    accepting: [],
    ascii: [],
    other: [],
    index: new Map(),
    simulateOnly: false,
    mark: new Float64Array(size).fill(-1),
    step: 0,
    current: new Int32Array(size),
    next: new Int32Array(size),
  };
  const initial = stateOf(result, closures[0]!, closures[0]!.length);
  if (initial === -1) result.simulateOnly = true;
  return result;
}

/** The DFA state of a set of NFA states (`count` of `set`), created if new; -1 past the limit. */
function stateOf(machine: Matcher, set: Int32Array, count: number): number {
  const sorted = set.slice(0, count).sort();
  const key = sorted.join(',');
  const known = machine.index.get(key);
  if (known !== undefined) return known;
  if (machine.states.length >= MAX_DFA_STATES) return -1;
  const index = machine.states.length;
  machine.states.push(sorted);
  let accepting = false;
  for (const pc of sorted) if (machine.program[pc]!.op === MATCH) accepting = true;
  machine.accepting.push(accepting);
  machine.ascii.push(new Uint8Array(128));
  machine.other.push(new Map());
  machine.index.set(key, index);
  return index;
}

/** Does the instruction at `pc` consume the code unit `code` (`folded`: its case-folded form)? */
function consumes(instruction: Instruction, code: number, folded: number): boolean {
  return (
    instruction.op === ANY ||
    (instruction.op === CHAR && instruction.code === folded) ||
    (instruction.op === CLASS && classHas(instruction.charClass!, code))
  );
}

/** One step of the NFA from `count` states of `from` on `code`, into `into`; returns how many. */
function advance(machine: Matcher, from: Int32Array, count: number, code: number, into: Int32Array): number {
  const { program, closures, mark } = machine;
  const folded = foldCode(code);
  const generation = ++machine.step;
  let size = 0;
  for (let index = 0; index < count; index++) {
    const pc = from[index]!;
    if (!consumes(program[pc]!, code, folded) || pc + 1 >= program.length) continue;
    const closure = closures[pc + 1]!;
    for (let item = 0; item < closure.length; item++) {
      const target = closure[item]!;
      if (mark[target] === generation) continue;
      mark[target] = generation;
      into[size++] = target;
    }
  }
  return size;
}

/** The DFA transition from `state` on `code`, computed once; -1 past the state limit. */
function transition(machine: Matcher, state: number, code: number): number {
  if (code < 128) {
    const cached = machine.ascii[state]![code]!;
    if (cached !== 0) return cached - 1;
  } else {
    const cached = machine.other[state]!.get(code);
    if (cached !== undefined) return cached;
  }
  const set = machine.states[state]!;
  const count = advance(machine, set, set.length, code, machine.next);
  const target = stateOf(machine, machine.next, count);
  if (target === -1) return -1;
  if (code < 128) machine.ascii[state]![code] = target + 1;
  else if (machine.other[state]!.size < MAX_OTHER_CODES) machine.other[state]!.set(code, target);
  return target;
}

/** Whole-value match: the DFA, or the NFA simulation once the DFA is at its limit. */
function run(machine: Matcher, value: string): boolean {
  if (!machine.simulateOnly) {
    let state = 0;
    for (let position = 0; position < value.length; position++) {
      state = transition(machine, state, value.charCodeAt(position));
      if (state === -1) {
        machine.simulateOnly = true;
        return simulate(machine, value);
      }
      // The empty set: no state can accept any more.
      if (machine.states[state]!.length === 0) return false;
    }
    return machine.accepting[state]!;
  }
  return simulate(machine, value);
}

/** Thompson simulation: every live state advances together, one character at a time. */
function simulate(machine: Matcher, value: string): boolean {
  let current = machine.current;
  let next = machine.next;
  const initial = machine.closures[0]!;
  current.set(initial);
  let count = initial.length;
  for (let position = 0; position < value.length && count > 0; position++) {
    count = advance(machine, current, count, value.charCodeAt(position), next);
    const swap = current;
    current = next;
    next = swap;
  }
  for (let index = 0; index < count; index++) if (machine.program[current[index]!]!.op === MATCH) return true;
  return false;
}

/** Compiled globs by pattern; bounded (cleared when full). */
const cache = new Map<string, CompiledGlob>();
const CACHE_SIZE = 4096;

/**
 * Compiles a glob (`*` any run of characters, `?` one character, `[abc]` / `[a-z]` / `[!a-z]` a class,
 * `{a,b}` alternatives, which may nest) into a case-insensitive matcher of whole values. Matching costs
 * at most O(value length × pattern length), never backtracks, and `*` and `?` match any character,
 * line breaks included. Compiled globs are cached. Throws a `SyntaxError` that says what is wrong with
 * a malformed pattern (or one longer than {@link MAX_GLOB_LENGTH}).
 */
export function compileGlob(pattern: string): CompiledGlob {
  let compiled = cache.get(pattern);
  if (compiled === undefined) {
    compiled = compile(pattern);
    if (cache.size >= CACHE_SIZE) cache.clear();
    cache.set(pattern, compiled);
  }
  return compiled;
}

/** A set of globs matched as one: true when any matches. */
export class GlobSet {
  private readonly patterns: CompiledGlob[];
  constructor(readonly globs: readonly string[]) {
    this.patterns = globs.map(compileGlob);
  }
  /** The folded values of the set when every glob is a literal (no wildcard), else `undefined`. */
  literals(): string[] | undefined {
    const out: string[] = [];
    for (const pattern of this.patterns) {
      if (pattern.literal === undefined) return undefined;
      out.push(pattern.literal);
    }
    return out;
  }
  matches(value: string): boolean {
    for (const pattern of this.patterns) if (pattern.test(value)) return true;
    return false;
  }
}
