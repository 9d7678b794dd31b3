import { describe, expect, it } from 'vitest';
import { newCallId } from './call-id';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newCallId', () => {
  it('makes random version 4 UUIDs, as crypto.randomUUID() does, all different across many pool refills', () => {
    const ids = new Set<string>();
    for (let index = 0; index < 5_000; index++) {
      const id = newCallId();
      expect(id).toMatch(UUID_V4);
      ids.add(id);
    }
    expect(ids.size).toBe(5_000);
  });

  it('uses every hex digit in every random position (not a fixed or truncated pattern)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let index = 0; index < 2_000; index++) {
      const id = newCallId();
      for (let position = 0; position < 36; position++) seen[position]!.add(id[position]!);
    }
    const sizes = seen.map((digits) => digits.size);
    // Dashes, the version digit and the variant digit are fixed or limited; every other position varies fully.
    for (const position of [8, 13, 18, 23]) expect(sizes[position]).toBe(1);
    expect(sizes[14]).toBe(1);
    expect(sizes[19]).toBe(4);
    const free = sizes.filter((_, position) => ![8, 13, 14, 18, 19, 23].includes(position));
    expect(free.every((size) => size === 16)).toBe(true);
  });
});
