import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import './index';

// GenOps asks OpenAI streams for usage (`stream_options.include_usage`) when the caller did not. What the
// caller sees must not change: the same chunks, deep-equal, as an ungoverned call with the same request
// (no extra usage chunk, no `usage: null` on every chunk), and the same `finalChatCompletion()`.

const harness = createAdapterHarness({ server: startFakeOpenAI });

function client(): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: harness.server.url, maxRetries: 0 });
}

const reply = { content: 'Otters hold hands while they sleep.', chunks: 4, usage: { input: 12, output: 8 } };
const messages = [{ role: 'user' as const, content: 'One otter fact.' }];

/** The fake server numbers its responses; ids and timestamps differ between two calls by design. */
function normalise<T>(value: T): T {
  return JSON.parse(JSON.stringify(value), (key, field) => (key === 'id' || key === 'created' ? '<x>' : field));
}

/** Runs `consume` ungoverned, then governed, on the same reply; returns both results. */
async function ungovernedThenGoverned<T>(consume: () => Promise<T>): Promise<[T, T]> {
  expect(harness.genops).toBeUndefined();
  harness.server.enqueue(reply);
  const plain = await consume();
  harness.init();
  harness.server.enqueue(reply);
  const governed = await consume();
  return [plain, governed];
}

async function collect(stream: AsyncIterable<unknown>): Promise<unknown[]> {
  const chunks: unknown[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('streams look the same governed and ungoverned', () => {
  it('chat.completions.create({ stream: true }): identical chunks, and GenOps still reads the usage', async () => {
    const [plain, governed] = await ungovernedThenGoverned(async () =>
      collect(await client().chat.completions.create({ model: 'gpt-4o', messages, stream: true })),
    );
    expect(harness.server.requests[1]!.body.stream_options).toEqual({ include_usage: true });
    expect(plain.some((chunk) => 'usage' in (chunk as object))).toBe(false);
    expect(normalise(governed)).toStrictEqual(normalise(plain));
    expect(harness.onlySpan().attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 8,
    });
  });

  it('chat.completions.stream(): identical chunks and finalChatCompletion()', async () => {
    const [plain, governed] = await ungovernedThenGoverned(async () => {
      const stream = client().chat.completions.stream({ model: 'gpt-4o', messages });
      const chunks = await collect(stream);
      return { chunks, final: await stream.finalChatCompletion() };
    });
    expect(harness.server.requests[1]!.body.stream_options).toEqual({ include_usage: true });
    expect('usage' in plain.final).toBe(false);
    expect(normalise(governed)).toStrictEqual(normalise(plain));
    expect(harness.onlySpan().attributes['gen_ai.usage.output_tokens']).toBe(8);
  });

  it('legacy completions.create({ stream: true }): identical chunks', async () => {
    const [plain, governed] = await ungovernedThenGoverned(async () =>
      collect(await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Otters', stream: true })),
    );
    expect(normalise(governed)).toStrictEqual(normalise(plain));
  });

  it('a caller who asked for usage gets it exactly as ungoverned: usage: null on chunks and the usage chunk', async () => {
    const [plain, governed] = await ungovernedThenGoverned(async () =>
      collect(
        await client().chat.completions.create({
          model: 'gpt-4o',
          messages,
          stream: true,
          stream_options: { include_usage: true },
        }),
      ),
    );
    expect(plain.filter((chunk) => (chunk as { usage?: unknown }).usage === null).length).toBeGreaterThan(0);
    expect((plain.at(-1) as { usage?: { completion_tokens: number } }).usage?.completion_tokens).toBe(8);
    expect(normalise(governed)).toStrictEqual(normalise(plain));
  });
});
