// Globs (`*`, `?`, `[a-z]`, `{a,b}`), matched case-insensitively in O(value length × pattern length)
// with no backtracking: a pattern compiles to a small NFA that is simulated one character at a time
// (Thompson's construction). A literal pattern (no wildcard) is a string comparison.

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
  const state = simulation(program.length);
  return { pattern, literal: undefined, test: (value) => simulate(program, state, value) };
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

/** Work arrays of one compiled glob, reused by every match (matching never re-enters itself). */
interface Simulation {
  current: Int32Array;
  next: Int32Array;
  /** The step at which each state was last added; steps only grow, so marks never need clearing. */
  mark: Float64Array;
  stack: Int32Array;
  step: number;
}

function simulation(size: number): Simulation {
  return {
    current: new Int32Array(size),
    next: new Int32Array(size),
    mark: new Float64Array(size).fill(-1),
    // A state is pushed at most once per SPLIT/JUMP leading to it before it is marked.
    stack: new Int32Array(2 * size + 2),
    step: 0,
  };
}

/** Thompson simulation: every live state advances together, one character at a time. */
function simulate(program: readonly Instruction[], state: Simulation, value: string): boolean {
  const size = program.length;
  let { current, next } = state;
  const { mark, stack } = state;
  let currentCount = 0;
  let nextCount = 0;
  const add = (list: Int32Array, count: number, start: number, generation: number): number => {
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const pc = stack[--top]!;
      if (pc < 0 || pc >= size || mark[pc] === generation) continue;
      mark[pc] = generation;
      const instruction = program[pc]!;
      if (instruction.op === JUMP) stack[top++] = instruction.x;
      else if (instruction.op === SPLIT) {
        stack[top++] = instruction.y;
        stack[top++] = instruction.x;
      } else list[count++] = pc;
    }
    return count;
  };
  const base = state.step;
  state.step += value.length + 1;
  currentCount = add(current, 0, 0, base);
  for (let position = 0; position < value.length; position++) {
    if (currentCount === 0) return false;
    const code = value.charCodeAt(position);
    const folded = foldCode(code);
    nextCount = 0;
    for (let index = 0; index < currentCount; index++) {
      const instruction = program[current[index]!]!;
      const ok =
        instruction.op === ANY ||
        (instruction.op === CHAR && instruction.code === folded) ||
        (instruction.op === CLASS && classHas(instruction.charClass!, code));
      if (ok) nextCount = add(next, nextCount, current[index]! + 1, base + position + 1);
    }
    [current, next] = [next, current];
    currentCount = nextCount;
  }
  for (let index = 0; index < currentCount; index++) if (program[current[index]!]!.op === MATCH) return true;
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
