import { Buffer } from 'node:buffer';
import { hash as oneShotHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from '../store/types';
import { endJson, startJson, writeNumber, writeRaw, writeString } from './json-bytes';

/** `prevHash` of the first record in a chain: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does), no
 * whitespace, `undefined` members dropped. Two processes (or a verifier years later) serialise the same
 * record to the same bytes.
 *
 * Exact semantics, which audit hashes depend on (do not change them without a chain format version):
 * - strings, finite numbers, booleans and `null` as `JSON.stringify` writes them;
 * - non-finite numbers (`NaN`, `Infinity`) and values JSON has no form for (`undefined`, functions,
 *   symbols) become `null` where they stand, and object members whose value is `undefined` are left out;
 * - arrays element by element (a hole counts as `undefined`, so `null`);
 * - any other object by its own enumerable string keys; `toJSON` is **not** called, so a `Date` or a
 *   `Map` serialises as `{}`. Audit data should be plain JSON (`AuditTrail` normalises it before
 *   appending, so what is hashed is exactly what a JSON-based store or file reads back).
 *
 * Throws on a `bigint` and on a circular structure.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  // Written with plain loops and string concatenation: this runs for every audit record on the hot path.
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ',';
      out += canonicalJson(value[index]);
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`;
  }
  return `${out}}`;
}

/**
 * The hash of a record: lowercase hex SHA-256 over the UTF-8 bytes of `prevHash`, a newline (`\n`), and
 * the canonical JSON (see {@link canonicalJson}) of `{at, data, seq, subject, type}`. Because `prevHash`
 * is inside the hash, each record commits to the whole chain before it.
 */
export function hashAuditRecord(prevHash: string, seq: number, entry: AuditEntry): string {
  return hashAuditBody(prevHash, auditHashBody(seq, entry, canonicalJson(entry.data)));
}

/**
 * Where `AuditTrail` leaves the canonical JSON of an entry's `data` (see {@link serialiseAuditData}) on the
 * entries it appends, so a store hashes (and keeps) that one serialisation instead of making its own. A
 * symbol: `JSON.stringify`, `Object.keys` and copies by spread do not see it.
 */
export const AUDIT_DATA_JSON: unique symbol = Symbol.for('genops.audit.dataJson') as never;

/** An entry with the canonical JSON of its `data` computed once (by `AuditTrail`). */
export interface PreparedAuditEntry extends AuditEntry {
  /** The canonical JSON of `data`; `data` itself is plain JSON (what parsing that text gives back). */
  readonly [AUDIT_DATA_JSON]: string;
}

/**
 * An entry the audit module made (the call records of `call-records.ts`, the trail's checkpoints and its
 * generic path), serialised once: `data` is plain JSON (what parsing its canonical text gives back). One
 * shape for every such entry, so the code that reads them stays monomorphic.
 *
 * Made with the canonical JSON of its data (`json`), or with a `write` function that writes that text
 * with the JSON writer of `json-bytes.ts` (the call records): then {@link PreparedEntry.body} writes the
 * whole record body in one pass, read back as one string, and the data JSON is only made if something
 * asks for it (a store that keeps it apart), as a slice of that body.
 */
export class PreparedEntry implements PreparedAuditEntry {
  private dataJson: string | undefined;
  /** The last body {@link body} wrote, and its seq: the audit file's line is made from it. */
  lastBody: string | undefined = undefined;
  lastBodySeq = 0;

  constructor(
    readonly type: AuditEntry['type'],
    readonly at: number,
    readonly subject: string,
    readonly data: Record<string, unknown>,
    json: string | undefined,
    /** Writes the canonical JSON of `data` (when made without `json`; `at` is then finite). */
    private readonly write?: ((data: Record<string, unknown>) => void) | undefined,
  ) {
    this.dataJson = json;
  }

  /** The canonical JSON of `data`. */
  get json(): string {
    if (this.dataJson !== undefined) return this.dataJson;
    const body = this.lastBody;
    if (body !== undefined)
      // `{"at":…,"data":` then the data, then `,"seq":…` (see auditLineFromBody for why its last one).
      this.dataJson = body.slice(14 + `${this.at}`.length, body.lastIndexOf(',"seq":'));
    else if (this.write !== undefined) {
      startJson();
      this.write(this.data);
      this.dataJson = endJson();
    } else this.dataJson = JSON.stringify(this.data);
    return this.dataJson;
  }

  get [AUDIT_DATA_JSON](): string {
    return this.json;
  }

  /** The canonical JSON of the record `{at, data, seq, subject, type}` at `seq`: what its hash is over. */
  body(seq: number): string {
    let body: string;
    if (!wellFormed(this.type, this.at, this.subject, seq))
      // Not a well-formed entry (never one the trail appends): no line is made from its body.
      return auditHashBody(seq, this, this.json);
    if (this.dataJson === undefined && this.write !== undefined) {
      // Keys in sorted order; `at` and `seq` finite, `subject` and `type` strings: canonical as written.
      startJson();
      writeRaw('{"at":');
      writeNumber(this.at);
      writeRaw(',"data":');
      this.write(this.data);
      writeRaw(',"seq":');
      writeNumber(seq);
      writeRaw(',"subject":');
      writeString(this.subject);
      writeRaw(',"type":');
      writeString(this.type);
      writeRaw('}');
      body = endJson();
    } else body = auditHashBody(seq, this, this.json);
    this.lastBody = body;
    this.lastBodySeq = seq;
    return body;
  }
}

/** The canonical JSON of an entry's data: the prepared one when `AuditTrail` made it, else computed. */
export function auditDataJson(entry: AuditEntry): string {
  if (entry instanceof PreparedEntry) return entry.json;
  const prepared = (entry as Partial<PreparedAuditEntry>)[AUDIT_DATA_JSON];
  return typeof prepared === 'string' ? prepared : canonicalJson(entry.data);
}

/** The canonical JSON of `{at, data, seq, subject, type}` for `entry` at `seq` (what its hash is over). */
export function auditRecordBody(seq: number, entry: AuditEntry): string {
  return entry instanceof PreparedEntry ? entry.body(seq) : auditHashBody(seq, entry, auditDataJson(entry));
}

/**
 * A record's line in an audit file (see {@link auditRecordLine}) from the body {@link PreparedEntry.body}
 * wrote for a well-formed entry: the body with `hash` and `prevHash` put in their sorted place, after
 * `data`. That body ends `,"seq":…,"subject":"…","type":"…"}` (`subject` and `type` strings), and `,"seq":`
 * cannot occur inside those two JSON strings (a quote in them is escaped), so its last occurrence is that
 * place.
 */
export function auditLineFromBody(body: string, hash: string, prevHash: string): string {
  const at = body.lastIndexOf(',"seq":');
  return `${body.slice(0, at)},"hash":${JSON.stringify(hash)},"prevHash":${JSON.stringify(prevHash)}${body.slice(at)}`;
}

/**
 * The canonical JSON of `{at, data, seq, subject, type}` (what {@link hashAuditRecord} hashes), built
 * around `dataJson` (already canonical) without serialising `data` again. Keys in sorted order, as
 * {@link canonicalJson} writes them.
 */
export function auditHashBody(
  seq: number,
  entry: Pick<AuditEntry, 'type' | 'at' | 'subject'>,
  dataJson: string,
): string {
  const { type, at, subject } = entry;
  if (!wellFormed(type, at, subject, seq))
    // Not a well-formed entry: the generic path writes exactly what canonical JSON of it would be.
    return canonicalJson({ at, data: JSON.parse(dataJson) as unknown, seq, subject, type });
  // A finite number's text is the same from `String` as from `JSON.stringify` (`-0` is `0` in both).
  return `{"at":${at},"data":${dataJson},"seq":${seq},"subject":${quoteJson(subject)},"type":${quoteJson(type)}}`;
}

/**
 * `JSON.stringify(text)`: the text in quotes as it is when no character needs an escape (no control
 * character, quote, backslash or surrogate), else `JSON.stringify`'s escapes. One pass over the text, no
 * call into the serialiser for the ids, names and keys audit records are made of.
 */
export function quoteJson(text: string): string {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff))
      return JSON.stringify(text);
  }
  return `"${text}"`;
}

/** Strings where strings go, finite numbers where numbers go: the header can be written by hand. */
function wellFormed(type: unknown, at: unknown, subject: unknown, seq: unknown): boolean {
  return (
    typeof type === 'string' &&
    typeof subject === 'string' &&
    typeof at === 'number' &&
    Number.isFinite(at) &&
    typeof seq === 'number' &&
    Number.isFinite(seq)
  );
}

/** SHA-256 (lowercase hex) of `prevHash`, a newline and `body`, in one call. */
export function hashAuditBody(prevHash: string, body: string): string {
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  const most = (prevHash.length + body.length) * 3 + 1;
  if (most > MAX_SCRATCH) return oneShotHash('sha256', `${prevHash}\n${body}`, 'hex');
  if (most > scratch.length) {
    scratch = Buffer.allocUnsafeSlow(Math.max(most, scratch.length * 2));
    views.clear();
  }
  // Encoded into one reused buffer rather than concatenated: the text is not copied into a new string (the
  // record's text is kept, the concatenation would be garbage at once).
  let length = utf8Write(scratch, prevHash, 0);
  scratch[length++] = 0x0a;
  length += utf8Write(scratch, body, length);
  return oneShotHash('sha256', scratchView(length), 'hex');
}

/** Largest record text hashed through the reused buffer; longer ones are concatenated. */
const MAX_SCRATCH = 1 << 20;
let scratch: Buffer = Buffer.allocUnsafeSlow(16_384);
/**
 * Views of the first bytes of {@link scratch}, by length, reused: records of a kind differ in length by a
 * few bytes, so a handful of views serve every record (a view per record would be ~100 bytes of garbage).
 */
const views = new Map<number, Buffer>();
const MAX_VIEWS = 64;

function scratchView(length: number): Buffer {
  let view = views.get(length);
  if (view === undefined) {
    if (views.size >= MAX_VIEWS) views.clear();
    view = scratch.subarray(0, length);
    views.set(length, view);
  }
  return view;
}

/** `Buffer#utf8Write` (what `write(text, offset, 'utf8')` ends in, without its argument checks) when present. */
const utf8Write: (buffer: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as { utf8Write?: unknown }).utf8Write === 'function'
    ? (buffer, text, offset) =>
        (buffer as unknown as { utf8Write(text: string, offset: number): number }).utf8Write(text, offset)
    : (buffer, text, offset) => buffer.write(text, offset, 'utf8');

/**
 * One record as a line of an audit file, built around `dataJson` (the canonical JSON of its `data`): the
 * same text as `canonicalJson` of the seven fields, keys sorted (`at, data, hash, prevHash, seq, subject,
 * type`).
 */
export function auditRecordLine(record: AuditRecord, dataJson: string): string {
  const { type, at, subject, seq, prevHash, hash } = record;
  if (!wellFormed(type, at, subject, seq) || typeof prevHash !== 'string' || typeof hash !== 'string')
    return canonicalJson({ at, data: JSON.parse(dataJson) as unknown, hash, prevHash, seq, subject, type });
  return `{"at":${at},"data":${dataJson},"hash":${JSON.stringify(hash)},"prevHash":${JSON.stringify(prevHash)},"seq":${seq},"subject":${JSON.stringify(subject)},"type":${JSON.stringify(type)}}`;
}

/** Deepest nesting {@link serialiseAuditData} accepts (deeper, or circular, data is refused). */
const MAX_DEPTH = 256;

/**
 * Serialises audit data once, to exactly the text `canonicalJson(JSON.parse(JSON.stringify(value)))`
 * gives (so the hash chain's format is unchanged), in a single walk: `toJSON` is called and boxed
 * primitives unwrapped as `JSON.stringify` does, members whose value is `undefined`, a function or a
 * symbol are left out (`null` in arrays), non-finite numbers become `null`, keys are sorted.
 *
 * `plain` tells whether `value` already is what parsing the text gives back (no `toJSON`, no boxed
 * primitive, no class instance, no non-finite number or `-0`, no function, symbol or hole in an array),
 * so it can be kept as it is instead of parsed from the text. Members whose value is `undefined` do not
 * make it non-plain (a reader sees no difference).
 *
 * Throws a `TypeError` on a `bigint`, on a circular structure and on nesting deeper than 256 levels.
 */
export function serialiseAuditData(value: unknown): { json: string; plain: boolean } {
  // Fast path: data that is plain and whose keys are already in sorted order is what the single walk
  // below would write, and `JSON.stringify` writes exactly that text natively (the recorder builds its
  // records so). Anything else takes the walk.
  if (sortedPlain(value, 0)) return { json: JSON.stringify(value), plain: true };
  const state = { plain: true };
  const json = serialise(value, '', 0, state) ?? 'null';
  return { json, plain: state.plain };
}

/**
 * Whether `JSON.stringify(value)` is the canonical text and `value` is plain (see
 * {@link serialiseAuditData}): strings, booleans, `null`, finite numbers other than `-0`; arrays without
 * holes of such values; objects with `Object.prototype` or no prototype, no `toJSON`, keys in sorted
 * order (`Object.keys` is the order `JSON.stringify` writes, integer-like keys first) and members that
 * are such values or `undefined` (left out by both). Reads, never builds a string.
 */
function sortedPlain(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !(value === 0 && 1 / value < 0);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
    for (let index = 0; index < value.length; index++) {
      if (!(index in value)) return false;
      const item: unknown = value[index];
      if (item === undefined || !sortedPlain(item, depth + 1)) return false;
    }
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  const record = value as Record<string, unknown>;
  if (typeof record.toJSON === 'function') return false;
  let previous: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    const member = record[key];
    if (member !== undefined && !sortedPlain(member, depth + 1)) return false;
  }
  return true;
}

function serialise(input: unknown, key: string, depth: number, state: { plain: boolean }): string | undefined {
  let value = input;
  if (typeof value === 'object' && value !== null) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') {
      state.plain = false;
      value = toJSON.call(value, key);
    }
  } else if (typeof value === 'bigint') {
    throw new TypeError('Do not know how to serialize a BigInt');
  }
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    state.plain = false;
    value = value.valueOf();
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) {
        state.plain = false;
        return 'null';
      }
      if (value === 0 && 1 / value < 0) state.plain = false;
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      break;
    default:
      // undefined, functions, symbols: left out of objects, null in arrays.
      if (value !== undefined) state.plain = false;
      return undefined;
  }
  if (value === null) return 'null';
  if (depth >= MAX_DEPTH) throw new TypeError(`it is nested deeper than ${MAX_DEPTH} levels (or circular)`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let index = 0; index < value.length; index++) {
      if (index > 0) out += ',';
      const item = serialise(value[index], String(index), depth + 1, state);
      if (item === undefined) {
        state.plain = false;
        out += 'null';
      } else out += item;
    }
    return `${out}]`;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) state.plain = false;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const member of keys) {
    const text = serialise(record[member], member, depth + 1, state);
    if (text === undefined) continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(member)}:${text}`;
  }
  return `${out}}`;
}

/**
 * Links `entries` onto a chain whose last record is `tip` (or starts a chain at seq 1 with
 * {@link GENESIS_HASH} when `tip` is `undefined`). Stores call this inside their atomic append; `keep`
 * gets each record with the text its hash is over, for a store that keeps that text (the memory store).
 */
export function chainAuditEntries(
  tip: Pick<AuditRecord, 'seq' | 'hash'> | undefined,
  entries: readonly AuditEntry[],
  keep?: (record: AuditRecord, body: string) => void,
): AuditRecord[] {
  let seq = tip?.seq ?? 0;
  let prevHash = tip?.hash ?? GENESIS_HASH;
  const records: AuditRecord[] = new Array(entries.length);
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index] as AuditEntry;
    seq += 1;
    const body = auditRecordBody(seq, entry);
    const hash = hashAuditBody(prevHash, body);
    const record = { seq, type: entry.type, at: entry.at, subject: entry.subject, data: entry.data, prevHash, hash };
    records[index] = record;
    keep?.(record, body);
    prevHash = hash;
  }
  return records;
}

/**
 * An entry as a store keeps and hashes it, with the canonical JSON of its data: an entry `AuditTrail`
 * prepared (data already plain, JSON computed once) is returned as it is; any other is serialised once
 * and its data replaced by what parsing that JSON gives back. For the stores that write the JSON out
 * (SQLite, Redis), so no entry is serialised more than once on its way in.
 */
export function preparedAuditEntry(entry: AuditEntry): PreparedAuditEntry {
  if (entry instanceof PreparedEntry) return entry;
  if (typeof (entry as Partial<PreparedAuditEntry>)[AUDIT_DATA_JSON] === 'string') return entry as PreparedAuditEntry;
  const { json } = serialiseAuditData(entry.data);
  const data = JSON.parse(json) as Record<string, unknown>;
  return new PreparedEntry(entry.type, entry.at, entry.subject, data, json);
}
