// Test-only: a small server on 127.0.0.1 speaking the wire formats @genops/testing has no fake for:
// Ollama's native API (JSON and NDJSON streams), Cohere v2 chat (JSON and SSE), plus a gzip-compressed
// OpenAI chat completion. Shapes follow the providers' API references (Ollama docs/api.md "Generate a
// chat completion"; Cohere "Chat API (v2)" and "Streaming" with `message-end`).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface FakeWireServer {
  readonly url: string;
  readonly requests: { method: string; path: string; body: any }[];
  close(): Promise<void>;
}

const USAGE = { input: 20, output: 10 };
const WORDS = ['Hello', ' from', ' the fake.'];

export async function startFakeWireServer(): Promise<FakeWireServer> {
  const requests: FakeWireServer['requests'] = [];
  const server = createServer((request, response) => {
    void handle(request, response);
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const path = (request.url ?? '/').split('?')[0]!;
    requests.push({ method: request.method ?? 'GET', path, body });
    if (path === '/api/chat') return ollamaChat(body, response);
    if (path === '/v2/chat') return cohereChat(body, response);
    if (path === '/gzip/v1/chat/completions') return gzipChat(body, response);
    // An endpoint egress cannot read usage from (an image generation without a usage block).
    if (path === '/v1/images/generations') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ created: 1, data: [{ url: 'https://example.invalid/cat.png' }] }));
      return;
    }
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function ollamaChat(body: any, response: ServerResponse): void {
  const model = body?.model ?? 'llama3.2';
  const final = {
    model,
    created_at: '2026-12-05T00:00:00Z',
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    total_duration: 1000,
    prompt_eval_count: USAGE.input,
    eval_count: USAGE.output,
  };
  if (body?.stream === false) {
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify({ ...final, message: { role: 'assistant', content: WORDS.join('') } }));
    return;
  }
  // Ollama streams by default: one JSON object per line.
  response.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const word of WORDS)
    response.write(
      `${JSON.stringify({ model, created_at: '2026-12-05T00:00:00Z', message: { role: 'assistant', content: word }, done: false })}\n`,
    );
  response.end(`${JSON.stringify(final)}\n`);
}

function cohereChat(body: any, response: ServerResponse): void {
  const usage = {
    billed_units: { input_tokens: USAGE.input, output_tokens: USAGE.output },
    tokens: { input_tokens: USAGE.input + 60, output_tokens: USAGE.output },
  };
  if (body?.stream !== true) {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        id: 'cohere-1',
        finish_reason: 'COMPLETE',
        message: { role: 'assistant', content: [{ type: 'text', text: WORDS.join('') }] },
        usage,
      }),
    );
    return;
  }
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  const events: [string, unknown][] = [
    ['message-start', { id: 'cohere-1', type: 'message-start', delta: { message: { role: 'assistant' } } }],
    ...WORDS.map(
      (text, index): [string, unknown] => [
        'content-delta',
        { type: 'content-delta', index, delta: { message: { content: { text } } } },
      ],
    ),
    ['message-end', { type: 'message-end', delta: { finish_reason: 'COMPLETE', usage } }],
  ];
  for (const [event, data] of events) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  response.end();
}

function gzipChat(body: any, response: ServerResponse): void {
  const completion = {
    id: 'chatcmpl-gzip',
    object: 'chat.completion',
    model: body?.model ?? 'gpt-4o',
    choices: [{ index: 0, message: { role: 'assistant', content: WORDS.join('') }, finish_reason: 'stop' }],
    usage: { prompt_tokens: USAGE.input, completion_tokens: USAGE.output, total_tokens: USAGE.input + USAGE.output },
  };
  const zipped = gzipSync(Buffer.from(JSON.stringify(completion)));
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-encoding': 'gzip',
    'content-length': String(zipped.byteLength),
  });
  response.end(zipped);
}
