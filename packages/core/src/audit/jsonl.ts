import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AuditRecord } from '../store/types';
import { canonicalJson } from './hash';
import { auditRecordShapeError, readableSeq } from './record-shape';
import type { AuditProblem } from './types';

/**
 * One record as a line of an audit file (JSON Lines): the canonical JSON (sorted keys, no whitespace) of
 * its seven fields `at, data, hash, prevHash, seq, subject, type`, without the newline. Any other property
 * of `record` is left out.
 */
export function formatAuditRecord(record: AuditRecord): string {
  return canonicalJson({
    seq: record.seq,
    type: record.type,
    at: record.at,
    subject: record.subject,
    data: record.data,
    prevHash: record.prevHash,
    hash: record.hash,
  });
}

/**
 * Reads one line of an audit file. Returns the record, or a `malformed` problem (with `line`) when the
 * line is not JSON or not exactly a record: a missing, mistyped or extra field. The hash is not checked
 * here; `verifyAuditChain` does that.
 */
export function parseAuditLine(line: string, lineNumber: number): AuditRecord | AuditProblem {
  let value: unknown;
  try {
    value = JSON.parse(line);
    const duplicate = duplicateJsonKey(line);
    if (duplicate !== undefined)
      return {
        seq: readableSeq(value),
        kind: 'malformed',
        message: `line ${lineNumber} is not an audit record: the key ${JSON.stringify(duplicate)} appears twice in one object (a reader could see either value)`,
        line: lineNumber,
      };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      seq: 0,
      kind: 'malformed',
      message: `line ${lineNumber} is not an audit record: invalid JSON (${reason})`,
      line: lineNumber,
    };
  }
  const shapeError = auditRecordShapeError(value);
  if (shapeError !== undefined) {
    const seq = readableSeq(value);
    const which = seq > 0 ? `line ${lineNumber} (record ${seq})` : `line ${lineNumber}`;
    return { seq, kind: 'malformed', message: `${which} is not an audit record: ${shapeError}`, line: lineNumber };
  }
  const record = value as AuditRecord;
  return {
    seq: record.seq,
    type: record.type,
    at: record.at,
    subject: record.subject,
    data: record.data,
    prevHash: record.prevHash,
    hash: record.hash,
  };
}

/**
 * Streams an audit file line by line (constant memory): each line as a record, or as a `malformed`
 * problem with its line number. Blank lines are skipped (still counted in line numbers); `\r\n` line ends
 * and a leading byte-order mark are accepted. Lines end at `\n` only: U+2028 and U+2029, which JSON
 * strings hold unescaped (and `readline` on Node 24 takes for line ends), stay inside their line. Rejects
 * when the file cannot be read (e.g. it does not exist). Feed the result to `verifyAuditChain`.
 */
export async function* readAuditFile(path: string): AsyncGenerator<AuditRecord | AuditProblem, void, undefined> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  let lineNumber = 0;
  let rest = '';
  const take = (raw: string): AuditRecord | AuditProblem | undefined => {
    lineNumber += 1;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (lineNumber === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    return line.trim() === '' ? undefined : parseAuditLine(line, lineNumber);
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      let end = chunk.indexOf('\n');
      while (end !== -1) {
        const raw = rest === '' ? chunk.slice(start, end) : rest + chunk.slice(start, end);
        rest = '';
        const item = take(raw);
        if (item !== undefined) yield item;
        start = end + 1;
        end = chunk.indexOf('\n', start);
      }
      rest += chunk.slice(start);
    }
    if (rest !== '') {
      const item = take(rest);
      if (item !== undefined) yield item;
    }
  } finally {
    stream.destroy();
  }
}

/** Options of {@link appendAuditFile}. */
export interface AppendAuditFileOptions {
  /** `fsync` the file before resolving, so the lines survive a machine crash (slower). Default `false`. */
  fsync?: boolean;
}

/**
 * Appends records to an audit file, one line each (see {@link formatAuditRecord}), creating the file and
 * its directory when needed. All lines go in one write. One writer per file: concurrent appends from
 * several processes may interleave.
 */
export async function appendAuditFile(
  path: string,
  records: Iterable<AuditRecord>,
  options: AppendAuditFileOptions = {},
): Promise<void> {
  let text = '';
  for (const record of records) text += `${formatAuditRecord(record)}\n`;
  if (text === '') return;
  await writeAuditText(path, text, options.fsync ?? false);
}

/** Appends `text` (whole lines) to the file at `path` in one write, creating the file and its directory. */
export async function writeAuditText(path: string, text: string, fsync: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const file = await open(path, 'a');
  try {
    await file.writeFile(text, 'utf8');
    if (fsync) await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * The first key that appears twice in one object of `text` (valid JSON), or `undefined`. `JSON.parse`
 * silently keeps the last of two equal keys, so a line could say one thing to it and another to a reader
 * that keeps the first. One pass, linear in the length of `text` (no regular expression).
 */
export function duplicateJsonKey(text: string): string | undefined {
  // One entry per open container: the keys of an object, or `undefined` for an array.
  const stack: Array<Set<string> | undefined> = [];
  let expectKey = false;
  let index = 0;
  while (index < text.length) {
    const char = text.charCodeAt(index);
    if (char === 0x22) {
      const start = index;
      index += 1;
      let escaped = false;
      while (index < text.length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c) {
          escaped = true;
          index += 2;
          continue;
        }
        if (inner === 0x22) break;
        index += 1;
      }
      const keys = stack[stack.length - 1];
      if (expectKey && keys !== undefined) {
        const raw = text.slice(start + 1, index);
        const key = escaped ? (JSON.parse(text.slice(start, index + 1)) as string) : raw;
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
    } else if (char === 0x7b) {
      stack.push(new Set());
      expectKey = true;
    } else if (char === 0x5b) {
      stack.push(undefined);
      expectKey = false;
    } else if (char === 0x7d || char === 0x5d) {
      stack.pop();
      expectKey = false;
    } else if (char === 0x2c) {
      expectKey = stack[stack.length - 1] !== undefined;
    }
    index += 1;
  }
  return undefined;
}

/**
 * The last record of an audit file, read from its end (the file may be large), or `undefined` when the
 * file does not exist, is empty, or its last line is not a record.
 */
export function readLastAuditRecordSync(path: string): AuditRecord | undefined {
  let fd: number;
  try {
    // Only a regular file: opening a FIFO (or a device) to read would block the process.
    if (!statSync(path).isFile()) return undefined;
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 256 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const last = lines[lines.length - 1];
    if (last === undefined) return undefined;
    const parsed = parseAuditLine(last, 0);
    return 'hash' in parsed ? parsed : undefined;
  } finally {
    closeSync(fd);
  }
}
