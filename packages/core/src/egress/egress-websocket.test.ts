// WebSocket sessions to a provider host (Realtime, Responses over a WebSocket), outside a governed unit:
// refused under `deny` before the handshake is sent; governed per response under `govern` (a session on a
// path GenOps does not know is reported); reported under `warn` (stderr once per endpoint, one span
// per session flagged ungoverned, from the handshake to the close). The clients Node apps use: undici's global
// `WebSocket` and the `undici` package's own `WebSocket` class (both through the global dispatcher), and the
// `ws` package (through node:http). The server is a `ws` server that answers a Realtime-style
// `response.create` with `response.done`. Gemini Live sessions: provider-google's live-egress.test.ts.
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient, { WebSocketServer } from 'ws';
import { useCoreTestSetup } from '../test-support/core-test-setup';
import { captureStderr } from './__fixtures__/capture-stderr';

const setup = useCoreTestSetup();
let server: WebSocketServer;
let origin: string;
/** Handshakes the server accepted. */
let sessions = 0;

beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('connection', (socket) => {
    sessions++;
    socket.send(JSON.stringify({ type: 'session.created' }));
    socket.on('message', (data) => {
      const event = JSON.parse(String(data));
      if (event.type === 'response.create')
        socket.send(
          JSON.stringify({
            type: 'response.done',
            response: {
              id: 'resp_1',
              status: 'completed',
              usage: {
                input_tokens: 12,
                output_tokens: 5,
                total_tokens: 17,
                input_token_details: { text_tokens: 12, audio_tokens: 0, cached_tokens: 0 },
                output_token_details: { text_tokens: 5, audio_tokens: 0 },
              },
            },
          }),
        );
    });
  });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function init(mode: 'govern' | 'deny' | 'warn') {
  sessions = 0;
  return setup.init({ egress: { mode, hosts: [origin] } });
}

const url = () => `ws://${origin}/v1/realtime?model=gpt-realtime`;

/** The `undici` package's own WebSocket class (not the global one), read after GenOps.init(). */
const undiciPackage = () => createRequire(import.meta.url)('undici') as { WebSocket: typeof WebSocket };

/** A session with the global (undici) WebSocket: one response.create, then close; resolves with what it saw. */
function undiciSession(
  address = url(),
  Socket: typeof WebSocket = WebSocket,
): Promise<{ events: string[]; error: boolean }> {
  return new Promise((resolve) => {
    const socket = new Socket(address);
    const events: string[] = [];
    let error = false;
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'response.create' })));
    socket.addEventListener('message', (message) => {
      const type = JSON.parse(String(message.data)).type as string;
      events.push(type);
      if (type === 'response.done') socket.close();
    });
    socket.addEventListener('error', () => (error = true));
    socket.addEventListener('close', () => resolve({ events, error }));
  });
}

/** The same session with the `ws` package (node:http). */
function wsSession(address = url()): Promise<{ events: string[]; error: Error | undefined }> {
  return new Promise((resolve) => {
    const socket = new WebSocketClient(address);
    const events: string[] = [];
    let error: Error | undefined;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'response.create' })));
    socket.on('message', (data) => {
      const type = JSON.parse(String(data)).type as string;
      events.push(type);
      if (type === 'response.done') socket.close();
    });
    socket.on('error', (failure) => (error = failure));
    socket.on('close', () => resolve({ events, error }));
  });
}

async function settled(count: number) {
  for (let attempt = 0; attempt < 100 && setup.spans().length < count; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The same session with the `undici` package's WebSocket class. */
const undiciPackageSession = (address = url()) => undiciSession(address, undiciPackage().WebSocket);

describe.each([
  ['the global WebSocket (undici)', undiciSession],
  ["the undici package's WebSocket", undiciPackageSession],
  ['the ws package (node:http)', wsSession],
] as const)('a Realtime session with %s', (_name, session) => {
  it('deny: refused before the handshake is sent; the client sees an error and a close', async () => {
    init('deny');
    const result = await session();
    expect(result.error).toBeTruthy();
    expect(result.events).toEqual([]);
    expect(sessions).toBe(0);
  });

  it('warn: runs, reported: one stderr line per endpoint, one span per session flagged ungoverned', async () => {
    init('warn');
    const { lines } = await captureStderr(async () => {
      expect((await session()).events).toEqual(['session.created', 'response.done']);
      expect((await session()).events).toEqual(['session.created', 'response.done']);
    });
    expect(sessions).toBe(2);
    const warnings = lines.filter((line) => line.includes('WebSocket session (Realtime)'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`http://${origin}/v1/realtime is not governed`);
    await settled(2);
    const spans = setup.spans();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.name).toBe('chat gpt-realtime');
      expect(span.attributes['genops.egress.ungoverned']).toBe(true);
      expect(span.attributes['genops.egress.websocket']).toBe(true);
      expect(span.attributes['gen_ai.request.model']).toBe('gpt-realtime');
      // No usage: warn mode does not read WebSocket frames.
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    }
  });

  it('govern: each response.create is a governed unit under the session span, settled from response.done', async () => {
    init('govern');
    const { lines } = await captureStderr(async () => {
      expect((await session()).events).toEqual(['session.created', 'response.done']);
    });
    expect(lines.filter((line) => line.includes('not governed'))).toEqual([]);
    await settled(2);
    const spans = setup.spans();
    const sessionSpan = spans.find((span) => span.attributes['realtime.session.protocol'] === 'realtime');
    const unit = spans.find((span) => span !== sessionSpan);
    expect(sessionSpan?.name).toBe('realtime gpt-realtime');
    expect(unit?.name).toBe('chat gpt-realtime');
    expect(unit?.parentSpanContext?.spanId).toBe(sessionSpan?.spanContext().spanId);
    expect(unit?.attributes['genops.egress.ungoverned']).toBeUndefined();
    expect(unit?.attributes['gen_ai.usage.input_tokens']).toBe(12);
    expect(unit?.attributes['gen_ai.usage.output_tokens']).toBe(5);
    expect(unit?.attributes['genops.policy.result']).toBe('ALLOWED');
  });

  it('govern: a session on a path GenOps does not know is still reported, not silent', async () => {
    init('govern');
    const path = '/ws/google.ai.generativelanguage.v1alpha.GenerativeService.SomeFutureBidiMethod';
    const { lines } = await captureStderr(async () => {
      await session(`ws://${origin}${path}`);
    });
    expect(lines.filter((line) => line.includes('WebSocket session (Realtime)'))).toHaveLength(1);
    await settled(1);
    expect(setup.spans()[0]?.attributes['genops.egress.ungoverned']).toBe(true);
  });
});

describe('a Realtime session refused under deny (ws package)', () => {
  it('the ws client gets the typed error, naming what to do', async () => {
    init('deny');
    const result = await wsSession();
    expect(result.error?.name).toBe('PolicyViolationError');
    expect(result.error?.message).toContain('WebSocket session (Realtime)');
    expect(result.error?.message).toContain("egress: 'warn'");
  });
});

describe("the undici package's WebSocket under govern", () => {
  it('is the original class again once GenOps shuts down, and the global WebSocket is untouched by it', async () => {
    const original = undiciPackage().WebSocket;
    const handle = init('govern');
    const governed = undiciPackage().WebSocket;
    expect(governed).not.toBe(original);
    expect(governed).not.toBe(globalThis.WebSocket);
    // Same class to the app: statics and instanceof.
    expect(governed.OPEN).toBe(original.OPEN);
    expect(governed.prototype).toBe(original.prototype);
    await handle.shutdown();
    expect(undiciPackage().WebSocket).toBe(original);
  });

  it('a class captured before GenOps.init() is not governed but reported: stderr and an ungoverned span', async () => {
    const captured = undiciPackage().WebSocket;
    init('govern');
    const { lines } = await captureStderr(async () => {
      expect((await undiciSession(url(), captured)).events).toEqual(['session.created', 'response.done']);
    });
    expect(lines.filter((line) => line.includes('WebSocket session (Realtime)'))).toHaveLength(1);
    await settled(1);
    expect(setup.spans()).toHaveLength(1);
    expect(setup.spans()[0]?.attributes['genops.egress.ungoverned']).toBe(true);
  });
});
