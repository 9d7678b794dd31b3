// TLS in the gateway itself: `https: { key, cert }` serves the same routes over HTTPS. The test's
// certificate is made with the openssl command (Debian's openssl package) for 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEAM_A_KEY, useGateway } from './gateway-setup';

const setup = useGateway();
const directory = mkdtempSync(join(tmpdir(), 'genops-gateway-tls-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function selfSigned(): { key: Buffer; cert: Buffer } {
  const key = join(directory, 'key.pem');
  const cert = join(directory, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ]),
      { stdio: 'ignore' },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('openssl is not on PATH: install it (apt-get install -y openssl) to run this test');
    throw error;
  }
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

function post(url: string, ca: Buffer, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        ca,
        headers: { authorization: `Bearer ${TEAM_A_KEY}`, 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('gateway: TLS', () => {
  it('serves the routes over HTTPS with the given key and certificate', async () => {
    const tls = selfSigned();
    const gateway = await setup.start({}, { https: tls });
    expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await post(
      gateway.url,
      tls.cert,
      JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ choices: [{ message: { content: 'Hello from the fake OpenAI server.' } }] });
    expect(setup.telemetry.spans()).toHaveLength(1);
  });
});
