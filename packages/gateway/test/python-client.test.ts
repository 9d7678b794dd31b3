// A Python client using only the standard library (urllib) calls chat completions through the gateway:
// any language that speaks HTTP gets the same governance. python3 must be on PATH: a missing python3
// fails this test with a message saying so.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expectGenOpsCompliant } from '@genops/testing';
import { describe, expect, it } from 'vitest';
import { nanos, TEAM_A_KEY, useGateway } from './gateway-setup';

const run = promisify(execFile);
const setup = useGateway();

const SCRIPT = `
import json, os, sys, urllib.request, urllib.error
base = os.environ["GATEWAY_URL"]
def call(key):
    request = urllib.request.Request(
        base + "/v1/chat/completions",
        data=json.dumps({"model": "gpt-4o", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + key},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
ok_status, ok_body = call(os.environ["GATEWAY_KEY"])
bad_status, bad_body = call("not-a-key")
print(json.dumps({"ok": [ok_status, ok_body["choices"][0]["message"]["content"]], "bad": [bad_status, bad_body["error"]["code"]]}))
`;

async function python(env: Record<string, string>): Promise<string> {
  try {
    const { stdout } = await run('python3', ['-c', SCRIPT], { env: { ...process.env, ...env }, timeout: 60_000 });
    return stdout;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('python3 is not on PATH: install Python 3 (e.g. apt-get install -y python3) to run this test');
    throw error;
  }
}

describe('gateway: Python standard-library client', () => {
  it('urllib calls chat completions: answered, governed, attributed by the virtual key; a bad key gets 401', async () => {
    const gateway = await setup.start();
    const output = JSON.parse(await python({ GATEWAY_URL: gateway.url, GATEWAY_KEY: TEAM_A_KEY }));
    expect(output).toEqual({
      ok: [200, 'Hello from the fake OpenAI server.'],
      bad: [401, 'invalid_virtual_key'],
    });
    const spans = setup.telemetry.spans();
    expect(spans).toHaveLength(1);
    expectGenOpsCompliant(spans);
    expect(spans[0]?.attributes['genops.team']).toBe('a');
    expect(nanos(spans[0]?.attributes['genops.accounting.actual'])).toBe(150_000);
  });
});
