// The seconds of a Lyria audio chunk (from its base64 length and mimeType), and the close a refused session
// ends with (code and reason: session-frames.ts refusalClose). The session behaviour with the real SDK:
// provider-google's lyria-egress.test.ts (Lyria) and live-egress.test.ts (Gemini Live).
import { describe, expect, it } from 'vitest';
import { BudgetExceededError } from '../errors/budget-exceeded-error';
import { RateLimitedError } from '../errors/rate-limited-error';
import { chunkSeconds } from './lyria-governor';
import { refusalClose } from './session-frames';

const audio = (bytes: number) => Buffer.alloc(bytes).toString('base64');

describe('chunkSeconds', () => {
  it("reads the rate and channels of the chunk's mimeType: 16-bit samples", () => {
    expect(chunkSeconds({ data: audio(192_000), mimeType: 'audio/l16;rate=48000;channels=2' })).toBe(1);
    expect(chunkSeconds({ data: audio(48_000), mimeType: 'audio/pcm; rate=24000' })).toBe(0.5);
    // 24 kHz, and two channels by default.
    expect(chunkSeconds({ data: audio(96_000), mimeType: 'audio/l16;rate=24000' })).toBe(1);
  });

  it('without a mimeType, 48 kHz stereo (what Lyria RealTime generates)', () => {
    expect(chunkSeconds({ data: audio(96_000) })).toBe(0.5);
  });

  it('a chunk without data, or a rate that is not a number, counts as nothing or the default', () => {
    expect(chunkSeconds({ mimeType: 'audio/l16;rate=48000' })).toBe(0);
    expect(chunkSeconds(undefined)).toBe(0);
    expect(chunkSeconds({ data: audio(192_000), mimeType: 'audio/l16;rate=fast;channels=-1' })).toBe(1);
  });
});

describe('refusalClose', () => {
  it("is 4000 + the governance error's status, with a reason naming the error and its reason code", () => {
    const budget = new BudgetExceededError({
      budget: 'daily',
      budgetKey: 'daily',
      limit: 1,
      used: 1,
      requested: 1,
      unit: 'USD',
      period: 'day',
    });
    expect(refusalClose(budget, 'the Lyria play')).toEqual({
      code: 4402,
      reason: 'genops: BudgetExceededError (BUDGET_EXCEEDED): the Lyria play refused',
    });
    const limited = new RateLimitedError({
      rule: 'rpm',
      limitKey: 'rpm',
      limit: 1,
      unit: 'requests',
      windowMs: 60_000,
      message: 'too many',
    });
    expect(refusalClose(limited, 'the turn').code).toBe(4429);
  });

  it('an error that is not a governance decision closes with 4500; the reason fits a close frame (123 bytes)', () => {
    const { code, reason } = refusalClose(new TypeError('boom'), 'x'.repeat(200));
    expect(code).toBe(4500);
    expect(reason.startsWith('genops: TypeError: xxx')).toBe(true);
    expect(Buffer.byteLength(reason)).toBe(123);
  });
});
