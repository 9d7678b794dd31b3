// The id of a governed call: a random (version 4) UUID, as `crypto.randomUUID()` makes it, built as one flat
// string. `randomUUID()` joins twenty short strings, so its result is a tree of about twenty string pieces
// that the first lookup by the id (the store's reservation table) copies into a flat string: about 590 bytes
// and a microsecond per call, where this makes the one 36-character string.
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

/** Random bytes drawn at a time (16 per id), as `randomUUID()` caches its entropy too. */
const POOL_BYTES = 16 * 256;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;
/** The id's characters, written in place before they become the string. */
const text = Buffer.alloc(36);
/** Each byte's two lower-case hex digits, as the character codes of `text`. */
const HIGH = new Uint8Array(256);
const LOW = new Uint8Array(256);
for (let byte = 0; byte < 256; byte++) {
  const digits = byte.toString(16).padStart(2, '0');
  HIGH[byte] = digits.charCodeAt(0);
  LOW[byte] = digits.charCodeAt(1);
}
const DASH = 0x2d;

/** A new random UUID (RFC 9562 version 4, lower-case, with dashes), e.g. `3b241101-e2bb-4255-8caf-4136c566a962`. */
export function newCallId(): string {
  if (used === POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  const at = used;
  used += 16;
  // Version 4 and the RFC variant, as randomUUID() sets them.
  pool[at + 6] = (pool[at + 6]! & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8]! & 0x3f) | 0x80;
  let to = 0;
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) text[to++] = DASH;
    const byte = pool[at + index]!;
    text[to++] = HIGH[byte]!;
    text[to++] = LOW[byte]!;
  }
  return text.toString('latin1', 0, 36);
}
