// The openai SDK's Realtime client (`openai/realtime/ws`, on the `ws` package) against the fake Realtime
// server (TLS: the SDK always connects with wss:): egress refuses the session under `deny` before its
// handshake is sent, and reports it under `warn` (one span per session flagged ungoverned). Governed
// sessions (`govern`): realtime-governed.test.ts. See docs/egress.md#websocket-sessions-realtime.
import { type FakeRealtimeServer, startFakeRealtime } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const harness = createAdapterHarness();
let fake: FakeRealtimeServer;
let certificate: string;
let port: number;
let sessionsBefore = 0;

beforeAll(async () => {
  fake = await startFakeRealtime();
  certificate = fake.certificate!;
  port = Number(fake.host.split(':')[1]);
});

afterAll(async () => {
  await fake.close();
});

/** Opens a Realtime session with the SDK; resolves with the event types it got, or the error. */
function session(): Promise<{ events: string[]; error?: Error }> {
  const client = new OpenAI({ apiKey: 'test-key', baseURL: `https://127.0.0.1:${port}/v1` });
  const realtime = new OpenAIRealtimeWS({ model: 'gpt-realtime', options: { ca: certificate } }, client);
  const events: string[] = [];
  return new Promise((resolve) => {
    realtime.on('event', (event) => {
      events.push(event.type);
      realtime.close();
    });
    realtime.on('error', (error) => resolve({ events, error }));
    realtime.socket.on('close', () => resolve({ events }));
  });
}

describe('the SDK Realtime client (openai/realtime/ws)', () => {
  it("egress 'deny': the session is refused before its handshake; the SDK reports the error", async () => {
    sessionsBefore = fake.sessions;
    harness.init({ egress: { mode: 'deny', hosts: [`127.0.0.1:${port}`] } });
    const result = await session();
    expect(result.events).toEqual([]);
    expect(String(result.error?.message ?? result.error)).toContain('WebSocket session (Realtime)');
    expect(fake.sessions - sessionsBefore).toBe(0);
  });

  it("egress 'warn': the session runs, recorded as one span flagged ungoverned", async () => {
    sessionsBefore = fake.sessions;
    harness.init({ egress: { mode: 'warn', hosts: [`127.0.0.1:${port}`] } });
    const result = await session();
    expect(result.events).toEqual(['session.created']);
    expect(fake.sessions - sessionsBefore).toBe(1);
    await expect.poll(() => harness.spans().length).toBe(1);
    const span = harness.onlySpan();
    expect(span.name).toBe('chat gpt-realtime');
    expect(span.attributes['genops.egress.ungoverned']).toBe(true);
    expect(span.attributes['genops.egress.websocket']).toBe(true);
  });
});
