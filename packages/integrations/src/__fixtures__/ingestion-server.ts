// A local stand-in for an observability tool's ingestion endpoint: records every request (gzip bodies
// inflated, JSON parsed, the raw bytes kept for protobuf) and answers 200 with `{}`, as Langfuse's OTLP
// endpoint and PostHog's batch endpoint do, or what `respond` says for a path (PromptLayer answers 201).
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { type ConformanceSpan, fromOtlpJson } from '@genops/conformance';

export interface IngestedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body, parsed as JSON (`undefined` when it is not JSON). */
  body: unknown;
  /** The body's bytes (inflated when gzip). */
  raw: Buffer;
}

/** The answer for one request: status and JSON body. */
export type IngestionResponder = (path: string) => { status: number; body: unknown } | undefined;

export interface IngestionServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: IngestedRequest[];
  close(): Promise<void>;
}

export async function startIngestionServer(respond?: IngestionResponder): Promise<IngestionServer> {
  const requests: IngestedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = undefined;
      }
      const path = request.url ?? '';
      requests.push({ method: request.method ?? '', path, headers: request.headers, body, raw });
      const answer = respond?.(path) ?? { status: 200, body: {} };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The spans of every OTLP/JSON request the server received on `path`. */
export function receivedSpans(server: IngestionServer, path: string): ConformanceSpan[] {
  return server.requests.filter((request) => request.path === path).flatMap((request) => fromOtlpJson(request.body));
}

/** The received span with this id (fails the test when there is none). */
export function spanWithId<S extends ConformanceSpan>(spans: readonly S[], spanId: string): S {
  const span = spans.find((candidate) => candidate.spanId === spanId);
  if (!span) throw new Error(`the tool did not receive span ${spanId}`);
  return span;
}
