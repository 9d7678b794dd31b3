// The openai SDK's Realtime client (`openai/realtime/ws`, on the `ws` package) against a local TLS
// WebSocket server (the SDK always connects with wss:). No adapter governs Realtime: egress refuses the
// session under `deny` before its handshake is sent, and reports it under `warn` / `govern` (one span per
// session flagged ungoverned). See docs/egress.md#websocket-sessions-realtime.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeOpenAI } from '@genops/testing';
import { createAdapterHarness } from '@genops/testing/adapter-harness';
import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const harness = createAdapterHarness({ server: startFakeOpenAI });
let directory: string;
let certificate: Buffer;
let https: Server;
let port: number;
let sessions = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'genops-realtime-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
    ],
    { cwd: directory, stdio: 'pipe' },
  );
  certificate = readFileSync(join(directory, 'server.crt'));
  https = createServer({ cert: certificate, key: readFileSync(join(directory, 'server.key')) });
  const server = new WebSocketServer({ server: https });
  server.on('connection', (socket) => {
    sessions++;
    socket.send(JSON.stringify({ type: 'session.created', event_id: 'event_1', session: { type: 'realtime' } }));
  });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', () => resolve()));
  port = (https.address() as AddressInfo).port;
});

afterAll(async () => {
  https.closeAllConnections();
  await new Promise<void>((resolve) => https.close(() => resolve()));
  rmSync(directory, { recursive: true, force: true });
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
    sessions = 0;
    harness.init({ egress: { mode: 'deny', hosts: [`127.0.0.1:${port}`] } });
    const result = await session();
    expect(result.events).toEqual([]);
    expect(String(result.error?.message ?? result.error)).toContain('WebSocket session (Realtime)');
    expect(sessions).toBe(0);
  });

  it("egress 'warn': the session runs, recorded as one span flagged ungoverned", async () => {
    sessions = 0;
    harness.init({ egress: { mode: 'warn', hosts: [`127.0.0.1:${port}`] } });
    const result = await session();
    expect(result.events).toEqual(['session.created']);
    expect(sessions).toBe(1);
    await expect.poll(() => harness.spans().length).toBe(1);
    const span = harness.onlySpan();
    expect(span.name).toBe('chat gpt-realtime');
    expect(span.attributes['genops.egress.ungoverned']).toBe(true);
    expect(span.attributes['genops.egress.websocket']).toBe(true);
  });
});
