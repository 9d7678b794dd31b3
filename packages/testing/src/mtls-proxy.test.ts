import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAIBehindMtls, type MtlsProxy, startFakeOpenAIBehindMtls } from './mtls-proxy';
import type { FakeOpenAIServer } from './types';

// The openai SDK through the proxy, with undici's Agent holding the client certificate, is the mTLS
// example's run (tests/sdk-examples/test/mtls-examples.test.ts); here node:https checks the proxy itself.
let served: FakeOpenAIBehindMtls;
let fake: FakeOpenAIServer;
let proxy: MtlsProxy;

beforeAll(async () => {
  served = await startFakeOpenAIBehindMtls();
  ({ fake, proxy } = served);
});

afterAll(() => served?.close());

/** A GET through node:https, with or without the client certificate: its status and body, or the error. */
function get(path: string, withClientCertificate: boolean): Promise<{ status: number; body: string } | Error> {
  const { ca, clientCert, clientKey } = proxy.certificates;
  return new Promise((resolve) => {
    const req = request(
      `${proxy.origin}${path}`,
      { ca, agent: false, ...(withClientCertificate ? { cert: clientCert, key: clientKey } : {}) },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on('error', resolve);
    req.end();
  });
}

describe('startMtlsProxy', () => {
  it('refuses a client without a certificate at the handshake, and nothing reaches the fake behind', async () => {
    const before = { refused: proxy.refusedHandshakes, fake: fake.requests.length };
    expect(await get('/v1/models', false)).toBeInstanceOf(Error);
    expect(proxy.refusedHandshakes).toBe(before.refused + 1);
    expect(fake.requests.length).toBe(before.fake);
    expect(proxy.requests).toEqual([]);
  });

  it('forwards a request with a client certificate the CA signed to the fake behind, and its answer back', async () => {
    const result = await get('/v1/models?limit=2', true);
    if (result instanceof Error) throw result;
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({
      object: 'list',
      data: expect.arrayContaining([expect.objectContaining({ id: 'gpt-4o' })]),
    });
    expect(proxy.requests).toEqual([
      { method: 'GET', url: '/v1/models?limit=2', clientCommonName: 'genops-test-client' },
    ]);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' });
  });
});
