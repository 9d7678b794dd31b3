// A TLS front for a fake server that requires client certificates (mutual TLS), as OpenAI's mTLS endpoint
// does: the handshake of a client without a certificate signed by the test CA is refused; a request from one
// that has it is forwarded, unchanged, to the fake behind (plain HTTP on 127.0.0.1). The certificates are
// made at start (test-certificates.ts): the client uses `clientCertFile` / `clientKeyFile` and trusts the
// server with `NODE_EXTRA_CA_CERTS=<caFile>`.
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { startFakeOpenAI } from './fake-openai-server';
import { createTestCertificates, type TestCertificates } from './test-certificates';
import type { FakeOpenAIServer } from './types';

export interface MtlsProxyRequest {
  method: string;
  /** The request target (path and query). */
  url: string;
  /** The common name of the client certificate the request came with. */
  clientCommonName: string;
}

export interface MtlsProxy {
  /** `https://127.0.0.1:<port>`: the fake behind's paths under it. */
  origin: string;
  /** The CA, client certificate and key files (PEM). */
  certificates: TestCertificates;
  /** Requests forwarded, in order. */
  readonly requests: MtlsProxyRequest[];
  /** TLS handshakes refused (no client certificate, or one the CA did not sign). */
  readonly refusedHandshakes: number;
  close(): Promise<void>;
}

/** Starts the mTLS front on a free port of 127.0.0.1, forwarding to `target` (an `http://127.0.0.1:<port>` origin). */
export async function startMtlsProxy(target: string): Promise<MtlsProxy> {
  const certificates = createTestCertificates();
  const backend = new URL(target);
  const requests: MtlsProxyRequest[] = [];
  let refusedHandshakes = 0;
  const server = createServer(
    {
      cert: certificates.serverCert,
      key: certificates.serverKey,
      ca: certificates.ca,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      requests.push({
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        clientCommonName: String(peer.subject?.CN ?? ''),
      });
      const forwarded = httpRequest(
        {
          host: backend.hostname,
          port: backend.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: backend.host },
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      forwarded.on('error', (error) => {
        if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(`mTLS proxy: the fake behind failed: ${error.message}`);
      });
      request.pipe(forwarded);
    },
  );
  server.on('tlsClientError', () => refusedHandshakes++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    certificates,
    requests,
    get refusedHandshakes() {
      return refusedHandshakes;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      certificates.remove();
    },
  };
}

/** The fake OpenAI server behind an mTLS front: `baseURL` is the front's `/v1`. */
export interface FakeOpenAIBehindMtls {
  fake: FakeOpenAIServer;
  proxy: MtlsProxy;
  /** `https://127.0.0.1:<port>/v1`: the front, with the fake's paths. */
  baseURL: string;
  close(): Promise<void>;
}

/**
 * Starts the fake OpenAI server, listing a few models at `GET /v1/models`, and an mTLS front for it (OpenAI's
 * mTLS endpoint, for the SDK's mTLS examples).
 */
export async function startFakeOpenAIBehindMtls(): Promise<FakeOpenAIBehindMtls> {
  const fake = await startFakeOpenAI({ listedModels: ['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small'] });
  const proxy = await startMtlsProxy(new URL(fake.url).origin);
  return {
    fake,
    proxy,
    baseURL: `${proxy.origin}/v1`,
    async close() {
      await proxy.close();
      await fake.close();
    },
  };
}
