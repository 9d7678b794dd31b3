// The two records every governed call writes (its decision and its settlement), serialised here by hand
// in their fixed (sorted) field order: strings quoted, numbers and booleans written as they are, no generic
// key sort and no `JSON.stringify`. Each is serialised once, when the store chains it, straight into the
// record body (json-bytes.ts): the text the store hashes and keeps and the audit file's line is made from.
import type { AuditEntry } from '../store/types';
import { PreparedEntry } from './hash';
import { writeBoolean, writeNumber, writeRaw, writeString } from './json-bytes';

/** One budget line of a reservation, as the decision (or reservation) record lists it. */
export interface AuditReservationLine {
  amount: number;
  enforce: boolean;
  key: string;
  unit: string;
}

/** The fields of a `decision` record (the reservation made for the call folded in). */
export interface DecisionAuditFields {
  approval?: string | undefined;
  attribution: Readonly<Record<string, unknown>>;
  downgradedFrom?: string | undefined;
  leaseMs?: number | undefined;
  /** The budget lines reserved (each `{amount, enforce, key, unit}`; checked when written). */
  lines?: readonly unknown[] | undefined;
  model: string;
  operation: string;
  policyVersion: string;
  provider: string;
  reasonCode?: string | undefined;
  redactions?: Readonly<Record<string, number>> | undefined;
  reservedNanos?: number | undefined;
  reservedUsd?: number | undefined;
  result: string;
  rule?: string | undefined;
  shadow?: readonly string[] | undefined;
  tool?: string | undefined;
}

/** The fields of a `settlement` record. */
export interface SettlementAuditFields {
  actualNanos: number;
  actualTokens: number;
  actualUsd: number;
  error?: string | undefined;
  estimated: boolean;
  incomplete: boolean;
  leaseOpen: boolean;
  outputBlocked?: string | undefined;
  reservedNanos: number;
  reservedUsd: number;
  violation?: { problems: readonly string[]; reasonCode: string } | undefined;
}

/**
 * The `decision` record of a call: its fields checked here (types; the keys of the members whose keys come
 * from outside, attribution and redactions, in sorted order) and written by {@link writeDecision} when
 * the store chains it. Anything unexpected takes the audit trail's generic path.
 */
export function decisionAuditEntry(at: number, subject: string, fields: DecisionAuditFields): AuditEntry {
  // The recorder passes its fields in this order: they are the data as they are. Any other order is copied.
  const data: DecisionAuditFields = keysInOrder(fields, DECISION_KEYS)
    ? fields
    : {
        approval: fields.approval,
        attribution: fields.attribution,
        downgradedFrom: fields.downgradedFrom,
        leaseMs: fields.leaseMs,
        lines: fields.lines,
        model: fields.model,
        operation: fields.operation,
        policyVersion: fields.policyVersion,
        provider: fields.provider,
        reasonCode: fields.reasonCode,
        redactions: fields.redactions,
        reservedNanos: fields.reservedNanos,
        reservedUsd: fields.reservedUsd,
        result: fields.result,
        rule: fields.rule,
        shadow: fields.shadow,
        tool: fields.tool,
      };
  const canonical =
    optionalText(data.approval) &&
    sortedFlat(data.attribution) &&
    optionalText(data.downgradedFrom) &&
    optionalNumber(data.leaseMs) &&
    (data.lines === undefined || linesCanonical(data.lines)) &&
    text(data.model) &&
    text(data.operation) &&
    text(data.policyVersion) &&
    text(data.provider) &&
    optionalText(data.reasonCode) &&
    (data.redactions === undefined || sortedFlat(data.redactions)) &&
    optionalNumber(data.reservedNanos) &&
    optionalNumber(data.reservedUsd) &&
    text(data.result) &&
    optionalText(data.rule) &&
    (data.shadow === undefined || textArray(data.shadow)) &&
    optionalText(data.tool);
  return entry('decision', at, subject, data, canonical, writeDecision);
}

/** The `settlement` record of a call: data in sorted key order, as {@link decisionAuditEntry}. */
export function settlementAuditEntry(at: number, subject: string, fields: SettlementAuditFields): AuditEntry {
  const given = fields.violation;
  const violation =
    given === undefined || keysInOrder(given, VIOLATION_KEYS)
      ? given
      : { problems: given.problems, reasonCode: given.reasonCode };
  const data: SettlementAuditFields =
    violation === given && keysInOrder(fields, SETTLEMENT_KEYS)
      ? fields
      : {
          actualNanos: fields.actualNanos,
          actualTokens: fields.actualTokens,
          actualUsd: fields.actualUsd,
          error: fields.error,
          estimated: fields.estimated,
          incomplete: fields.incomplete,
          leaseOpen: fields.leaseOpen,
          outputBlocked: fields.outputBlocked,
          reservedNanos: fields.reservedNanos,
          reservedUsd: fields.reservedUsd,
          violation,
        };
  const canonical =
    number(data.actualNanos) &&
    number(data.actualTokens) &&
    number(data.actualUsd) &&
    optionalText(data.error) &&
    typeof data.estimated === 'boolean' &&
    typeof data.incomplete === 'boolean' &&
    typeof data.leaseOpen === 'boolean' &&
    optionalText(data.outputBlocked) &&
    number(data.reservedNanos) &&
    number(data.reservedUsd) &&
    (violation === undefined || (textArray(violation.problems) && text(violation.reasonCode)));
  return entry('settlement', at, subject, data, canonical, writeSettlement);
}

/**
 * A prepared entry when `canonical` says `write` writes the canonical text of `data` and parsing it gives
 * `data` back (keys in sorted order at every level; every value a string, a boolean or a finite number other
 * than `-0`); otherwise a plain entry, which the audit trail serialises on its generic path (and drops, with
 * a diagnostic, when it cannot be stored).
 */
function entry<Fields>(
  type: 'decision' | 'settlement',
  at: number,
  subject: string,
  fields: Fields,
  canonical: boolean,
  write: (data: Fields) => void,
): AuditEntry {
  const data = fields as Record<string, unknown>;
  if (!canonical || typeof subject !== 'string' || !Number.isFinite(at)) return { type, at, subject, data };
  // Serialised when the store chains it, straight into the record body.
  return new PreparedEntry(type, at, subject, data, undefined, write as (data: Record<string, unknown>) => void);
}

// The writers: members in sorted key order, those without a value left out. They run for data the checks
// above passed (each member of the type it is written as).

function writeDecision(data: DecisionAuditFields): void {
  if (data.approval !== undefined) {
    writeRaw('{"approval":');
    writeString(data.approval);
    writeRaw(',"attribution":');
  } else writeRaw('{"attribution":');
  writeFlat(data.attribution);
  writeOptionalText(',"downgradedFrom":', data.downgradedFrom);
  writeOptionalNumber(',"leaseMs":', data.leaseMs);
  const { lines } = data;
  if (lines !== undefined) {
    writeRaw(',"lines":[');
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index] as AuditReservationLine;
      writeRaw(index === 0 ? '{"amount":' : ',{"amount":');
      writeNumber(line.amount);
      writeRaw(line.enforce ? ',"enforce":true,"key":' : ',"enforce":false,"key":');
      writeString(line.key);
      writeRaw(',"unit":');
      writeString(line.unit);
      writeRaw('}');
    }
    writeRaw(']');
  }
  writeMember(',"model":', data.model);
  writeMember(',"operation":', data.operation);
  writeMember(',"policyVersion":', data.policyVersion);
  writeMember(',"provider":', data.provider);
  writeOptionalText(',"reasonCode":', data.reasonCode);
  if (data.redactions !== undefined) {
    writeRaw(',"redactions":');
    writeFlat(data.redactions);
  }
  writeOptionalNumber(',"reservedNanos":', data.reservedNanos);
  writeOptionalNumber(',"reservedUsd":', data.reservedUsd);
  writeMember(',"result":', data.result);
  writeOptionalText(',"rule":', data.rule);
  if (data.shadow !== undefined) {
    writeRaw(',"shadow":');
    writeTextArray(data.shadow);
  }
  writeOptionalText(',"tool":', data.tool);
  writeRaw('}');
}

function writeSettlement(data: SettlementAuditFields): void {
  writeRaw('{"actualNanos":');
  writeNumber(data.actualNanos);
  writeRaw(',"actualTokens":');
  writeNumber(data.actualTokens);
  writeRaw(',"actualUsd":');
  writeNumber(data.actualUsd);
  writeOptionalText(',"error":', data.error);
  writeRaw(data.estimated ? ',"estimated":true' : ',"estimated":false');
  writeRaw(data.incomplete ? ',"incomplete":true' : ',"incomplete":false');
  writeRaw(data.leaseOpen ? ',"leaseOpen":true' : ',"leaseOpen":false');
  writeOptionalText(',"outputBlocked":', data.outputBlocked);
  writeRaw(',"reservedNanos":');
  writeNumber(data.reservedNanos);
  writeRaw(',"reservedUsd":');
  writeNumber(data.reservedUsd);
  const { violation } = data;
  if (violation !== undefined) {
    writeRaw(',"violation":{"problems":');
    writeTextArray(violation.problems);
    writeMember(',"reasonCode":', violation.reasonCode);
    writeRaw('}');
  }
  writeRaw('}');
}

/** `prefix` (`,"key":`) then `value` as a JSON string. */
function writeMember(prefix: string, value: string): void {
  writeRaw(prefix);
  writeString(value);
}

/** {@link writeMember} when `value` is there. */
function writeOptionalText(prefix: string, value: string | undefined): void {
  if (value === undefined) return;
  writeRaw(prefix);
  writeString(value);
}

/** `prefix` then `value` when it is there. */
function writeOptionalNumber(prefix: string, value: number | undefined): void {
  if (value === undefined) return;
  writeRaw(prefix);
  writeNumber(value);
}

/** A flat record {@link sortedFlat} passed: its members in the order they enumerate (sorted), `undefined` ones left out. */
function writeFlat(record: Readonly<Record<string, unknown>>): void {
  writeRaw('{');
  let first = true;
  for (const key in record) {
    const value = record[key];
    if (value === undefined) continue;
    if (first) first = false;
    else writeRaw(',');
    writeString(key);
    writeRaw(':');
    if (typeof value === 'string') writeString(value);
    else if (typeof value === 'number') writeNumber(value);
    else writeBoolean(value as boolean);
  }
  writeRaw('}');
}

function writeTextArray(values: readonly string[]): void {
  writeRaw('[');
  for (let index = 0; index < values.length; index++) {
    if (index > 0) writeRaw(',');
    writeString(values[index] as string);
  }
  writeRaw(']');
}

function text(value: unknown): boolean {
  return typeof value === 'string';
}

function optionalText(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** A number `JSON.stringify` writes as it is read back: finite, not `-0`. */
function number(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && !(value === 0 && 1 / value < 0);
}

function optionalNumber(value: unknown): boolean {
  return value === undefined || number(value);
}

/** An array `JSON.stringify` writes element by element (no `toJSON` of its own). */
function plainArray(value: unknown): value is unknown[] {
  return Array.isArray(value) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

function textArray(value: unknown): boolean {
  if (!plainArray(value)) return false;
  for (let index = 0; index < value.length; index++) if (typeof value[index] !== 'string') return false;
  return true;
}

function linesCanonical(lines: unknown): boolean {
  if (!plainArray(lines)) return false;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] as AuditReservationLine | undefined;
    if (typeof line !== 'object' || line === null || Object.getPrototypeOf(line) !== Object.prototype) return false;
    // The lines the recorder makes: exactly these four keys, in this (sorted) order.
    let expected = 0;
    for (const key in line) {
      if (key !== LINE_KEYS[expected++]) return false;
    }
    if (
      expected !== 4 ||
      !number(line.amount) ||
      typeof line.enforce !== 'boolean' ||
      typeof line.key !== 'string' ||
      typeof line.unit !== 'string'
    )
      return false;
  }
  return true;
}

const LINE_KEYS = ['amount', 'enforce', 'key', 'unit'];
const DECISION_KEYS = [
  'approval',
  'attribution',
  'downgradedFrom',
  'leaseMs',
  'lines',
  'model',
  'operation',
  'policyVersion',
  'provider',
  'reasonCode',
  'redactions',
  'reservedNanos',
  'reservedUsd',
  'result',
  'rule',
  'shadow',
  'tool',
];
const SETTLEMENT_KEYS = [
  'actualNanos',
  'actualTokens',
  'actualUsd',
  'error',
  'estimated',
  'incomplete',
  'leaseOpen',
  'outputBlocked',
  'reservedNanos',
  'reservedUsd',
  'violation',
];
const VIOLATION_KEYS = ['problems', 'reasonCode'];

/**
 * Whether `record` is a plain object whose keys are some of `keys`, enumerated in that order (what
 * `JSON.stringify` writes them in): then it can be the record's data without a copy.
 */
function keysInOrder(record: object, keys: readonly string[]): boolean {
  if (Object.getPrototypeOf(record) !== Object.prototype) return false;
  let next = 0;
  for (const key in record) {
    while (next < keys.length && keys[next] !== key) next++;
    if (next === keys.length) return false;
    next++;
  }
  return true;
}

/**
 * A flat record (attribution, redaction counts) whose keys enumerate in sorted order and whose values are
 * strings, booleans, numbers (as {@link number}) or `undefined`. Kept for every frozen record found so
 * (calls share their attribution), the last one checked first.
 */
function sortedFlat(record: unknown): boolean {
  if (record === lastSortedFlat) return true;
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return false;
  if (sortedFlats.has(record)) {
    lastSortedFlat = record;
    return true;
  }
  const prototype = Object.getPrototypeOf(record) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) return false;
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    const value = (record as Record<string, unknown>)[key];
    const kind = typeof value;
    if (kind === 'number' ? !number(value) : kind !== 'string' && kind !== 'boolean' && kind !== 'undefined')
      return false;
  }
  if (Object.isFrozen(record)) {
    sortedFlats.add(record);
    lastSortedFlat = record;
  }
  return true;
}

let lastSortedFlat: object | undefined;
/** The frozen records {@link sortedFlat} found flat and sorted; an entry lives as long as its record does. */
const sortedFlats = new WeakSet<object>();
