import { startGateway } from '@genops/gateway';
import { startFakeOpenAI } from '@genops/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePlugin } from '../src/index';
import { eventually, TOKEN } from './fixtures';

// End to end: a request through the gateway, held for approval by the gateway's policy, is released from
// the console mounted on that gateway (`plugins: [consolePlugin(...)]`, which takes the gateway's GenOps
// instance); a second one is denied there and the client gets the gateway's 403.

const KEY = 'gk-team-a-0123456789abcdef';

describe('the console mounted on the gateway', () => {
  let upstream: Awaited<ReturnType<typeof startFakeOpenAI>>;
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    gateway = await startGateway({
      upstreams: { openai: { baseUrl: upstream.url, apiKey: 'sk-upstream-openai' } },
      virtualKeys: [{ name: 'team-a', key: KEY, attribution: { team: 'a', project: 'p' } }],
      genops: {
        policy: { version: 1, approvals: { over: 0, timeout: '30s' } },
        // Someone decides: the console. (With the memory store and neither a hook nor an approver, GenOps
        // denies held calls at once, since nobody could decide.)
        onApprovalRequired: () => undefined,
        autoInstrument: false,
        egress: 'off',
        exporter: 'none',
      },
      plugins: [consolePlugin({ auth: { users: [{ name: 'alice', token: TOKEN }] } })],
      env: {},
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await upstream?.close();
  });

  const client = () => new OpenAI({ apiKey: KEY, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
  const chat = { model: 'gpt-4o', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
  const pendingOne = () =>
    eventually(async () => {
      const response = await fetch(`${gateway.url}/console/api/approvals`, { headers });
      const { approvals } = (await response.json()) as {
        approvals: Array<{ id: string; attribution: Record<string, string> }>;
      };
      return approvals[0];
    }, 'the held request in the console');

  it('a held request is released by an approval given in the console, and the audit names who approved', async () => {
    const completion = client().chat.completions.create(chat);
    completion.catch(() => undefined); // asserted below
    const pending = await pendingOne();
    expect(pending.attribution).toMatchObject({ team: 'a', virtualKey: 'team-a' });
    expect(upstream.requests).toHaveLength(0);
    const decided = await fetch(`${gateway.url}/console/api/approvals/${pending.id}/approve`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason: 'go' }),
    });
    expect(decided.status).toBe(200);
    expect((await completion).choices[0]?.message.content).toBe('Hello from the fake OpenAI server.');
    expect(upstream.requests).toHaveLength(1);
    await gateway.genops.flushAudit();
    const audit = (await (await fetch(`${gateway.url}/console/api/audit`, { headers })).json()) as {
      verification: { ok: boolean };
      records: Array<{ type: string; subject: string; data: Record<string, unknown> }>;
    };
    expect(audit.verification.ok).toBe(true);
    expect(
      audit.records.find(
        (record) => record.type === 'approval' && record.subject === pending.id && record.data.status === 'approved',
      )?.data,
    ).toMatchObject({
      decidedBy: 'alice',
    });
  });

  it('a request denied in the console gets the gateway’s 403 and never reaches the provider', async () => {
    upstream.reset();
    const completion = client().chat.completions.create(chat);
    completion.catch(() => undefined); // asserted below
    const pending = await pendingOne();
    const denied = await fetch(`${gateway.url}/console/api/approvals/${pending.id}/deny`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ reason: 'not now' }),
    });
    expect(denied.status).toBe(200);
    await expect(completion).rejects.toMatchObject({ status: 403 });
    expect(upstream.requests).toHaveLength(0);
  });

  it('the console pages are served by the gateway at /console/', async () => {
    const page = await fetch(`${gateway.url}/console/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>GenOps console</title>');
    expect((await fetch(`${gateway.url}/console/api/budgets`)).status).toBe(401);
  });
});
