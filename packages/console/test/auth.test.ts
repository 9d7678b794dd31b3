import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GenOpsHandle, MemoryStore } from '@genops/core';
import type { ApprovalRecord } from '@genops/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhook, createApprovalLinks, type RunningConsole, startConsole } from '../src/index';
import { holdPending, LINK_SECRET, startGenOps, TOKEN } from './fixtures';

// Who may use the console and how writes are protected: tokens, the session cookie of the sign-in page,
// CSRF on cookie-authenticated writes, an `authenticate` hook (OIDC through a proxy); then the Slack and
// Teams payloads of the approval webhook as a receiver gets them.

describe('console authentication', () => {
  let genops: GenOpsHandle;
  let running: RunningConsole;
  const url = (path: string) => new URL(path, running.url).href;

  beforeAll(async () => {
    genops = startGenOps(new MemoryStore(), { onApprovalRequired: () => undefined });
    running = await startConsole({
      genops,
      auth: {
        users: [{ name: 'alice', token: TOKEN }],
        // What an OIDC proxy (oauth2-proxy, a mesh) would vouch for; here a header from "the proxy".
        authenticate: (request) => {
          const user = request.headers['x-test-proxy-user'];
          return typeof user === 'string' ? { name: `oidc:${user}` } : undefined;
        },
      },
    });
  });

  afterAll(async () => {
    await running?.close();
    await genops?.shutdown();
  });

  async function signIn(): Promise<{ cookie: string; csrf: string }> {
    const response = await fetch(url('api/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(response.status).toBe(200);
    const setCookie = response.headers.get('set-cookie')!;
    expect(setCookie).toMatch(
      /^genops_console_session=[^;]+; Path=\/console; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    );
    const { csrf } = (await response.json()) as { csrf: string };
    return { cookie: setCookie.split(';')[0]!, csrf };
  }

  it('the sign-in page sets a session cookie; a wrong token is a 401 and sets none', async () => {
    const { cookie } = await signIn();
    const session = await fetch(url('api/session'), { headers: { cookie } });
    expect(await session.json()).toMatchObject({ principal: { name: 'alice' }, via: 'session' });
    const wrong = await fetch(url('api/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: 'not-the-token-at-all' }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const forged = await fetch(url('api/session'), { headers: { cookie: `${cookie.slice(0, -2)}xx` } });
    expect(forged.status).toBe(401);
  });

  it('a write with the session cookie needs the CSRF header and a same-origin Origin', async () => {
    const { cookie, csrf } = await signIn();
    const { held, pending } = await holdPending(genops);
    const approve = (headers: Record<string, string>) =>
      fetch(url(`api/approvals/${pending.id}/approve`), {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: '{}',
      });
    const without = await approve({});
    expect(without.status).toBe(403);
    expect(await without.json()).toMatchObject({ error: { code: 'csrf' } });
    expect((await approve({ 'x-genops-csrf': 'guessed' })).status).toBe(403);
    expect((await approve({ 'x-genops-csrf': csrf, origin: 'https://evil.example' })).status).toBe(403);
    expect((await genops.approvals.get(pending.id))?.status).toBe('pending');
    const ok = await approve({ 'x-genops-csrf': csrf, origin: new URL(running.url).origin });
    expect(ok.status).toBe(200);
    await expect(held).resolves.toBe('ran');
    expect((await genops.approvals.get(pending.id))?.decidedBy).toBe('alice');
  });

  it('an authenticate hook names the principal (OIDC-ready), and its writes need CSRF too', async () => {
    const session = await fetch(url('api/session'), { headers: { 'x-test-proxy-user': 'carol@example.com' } });
    const body = (await session.json()) as { principal: { name: string }; via: string; csrf: string };
    expect(body).toMatchObject({ principal: { name: 'oidc:carol@example.com' }, via: 'hook' });
    const { held, pending } = await holdPending(genops);
    const deny = (headers: Record<string, string>) =>
      fetch(url(`api/approvals/${pending.id}/deny`), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-proxy-user': 'carol@example.com', ...headers },
        body: JSON.stringify({ reason: 'over budget' }),
      });
    expect((await deny({})).status).toBe(403);
    expect((await deny({ 'x-genops-csrf': body.csrf })).status).toBe(200);
    await expect(held).rejects.toMatchObject({ decidedBy: 'oidc:carol@example.com', reason: 'over budget' });
  });

  it('serves the app with a strict CSP and no caching of API answers', async () => {
    const page = await fetch(running.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<div id="root"></div>');
    const script = await fetch(url('assets/app.js'));
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(url('assets/..%2F..%2Fpackage.json'))).status).toBe(404);
    const api = await fetch(url('api/budgets'), { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.headers.get('cache-control')).toBe('no-store');
  });

  it('after 10 failed sign-ins in a minute an address is refused (429 with Retry-After), even with the right token', async () => {
    const own = await startConsole({ genops, auth: { users: [{ name: 'alice', token: TOKEN }] } });
    try {
      const signIn = (token: string) =>
        fetch(new URL('api/session', own.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      for (let attempt = 0; attempt < 9; attempt++)
        expect((await signIn(`wrong-token-${attempt}-0123456789`)).status).toBe(401);
      const bearer = await fetch(new URL('api/budgets', own.url), {
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      });
      expect(bearer.status).toBe(401); // the 10th failure
      const refused = await signIn(TOKEN);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: { code: 'too_many_attempts' } });
      expect(
        (await fetch(new URL('api/budgets', own.url), { headers: { authorization: `Bearer ${TOKEN}` } })).status,
      ).toBe(429);
    } finally {
      await own.close();
    }
  });

  it('refuses to start without a way to sign in, or with a short token', async () => {
    await expect(startConsole({ genops, auth: {} })).rejects.toThrow(
      'Invalid GenOps option `auth`: no way to sign in is configured (expected auth.users and/or auth.authenticate)',
    );
    await expect(startConsole({ genops, auth: { users: [{ name: 'bob', token: 'short' }] } })).rejects.toThrow(
      'Invalid GenOps option `auth.users[0].token`: the token is missing or shorter than 16 characters',
    );
    await expect(startConsole({ auth: { users: [{ name: 'bob', token: TOKEN }] } })).rejects.toThrow(
      'Invalid GenOps option `store`: the console has nothing to read',
    );
  });
});

describe('the approval webhook payloads', () => {
  let receiver: ReturnType<typeof createServer>;
  let target: string;
  const bodies: Array<Record<string, unknown>> = [];
  let status = 200;
  const links = createApprovalLinks({ secret: LINK_SECRET, baseUrl: 'https://genops.example.com/console' });
  const approval: ApprovalRecord = {
    id: '3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e',
    status: 'pending',
    createdAt: Date.now(),
    expiresAt: Date.now() + 300_000,
    reason: 'may cost $6.015, over the approval threshold of $5 (requireApprovalOver / approvals.over)',
    rule: 'requireApprovalOver',
    provider: 'openai',
    model: 'o1-pro',
    operation: 'chat',
    attribution: { team: 'research', project: '<reports>' },
    estimatedCostUsd: 6.015,
  };

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('slack: text plus Block Kit blocks with Approve / Deny link buttons (mrkdwn escaped)', async () => {
    await approvalWebhook({ url: target, format: 'slack', links })(approval);
    const body = bodies.at(-1) as {
      text: string;
      blocks: Array<{ type: string; text?: { text: string }; elements?: Array<Record<string, unknown>> }>;
    };
    expect(body.text).toBe(
      'GenOps: a call needs approval: openai/o1-pro (chat) for team=research, project=<reports>, up to $6.015',
    );
    expect(body.blocks.map((block) => block.type)).toEqual(['section', 'context', 'actions']);
    expect(body.blocks[0]!.text!.text).toContain('project=&lt;reports&gt;');
    const buttons = body.blocks[2]!.elements!;
    expect(buttons.map((button) => (button.text as { text: string }).text)).toEqual([
      'Approve',
      'Deny',
      'Open the console',
    ]);
    expect(links.verify((buttons[0]!.url as string).split('/').at(-1)!)).toMatchObject({
      ok: true,
      link: { decision: 'approve', approvalId: approval.id },
    });
    expect(links.verify((buttons[1]!.url as string).split('/').at(-1)!)).toMatchObject({
      ok: true,
      link: { decision: 'deny' },
    });
  });

  it('teams: an Adaptive Card in a Workflows message, with Action.OpenUrl buttons', async () => {
    await approvalWebhook({ url: target, format: 'teams', links })(approval);
    const body = bodies.at(-1) as {
      type: string;
      attachments: Array<{ contentType: string; content: Record<string, unknown> }>;
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]!.content as {
      type: string;
      version: string;
      actions: Array<{ type: string; title: string; url: string }>;
    };
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
    expect(card.actions.map(({ type, title }) => `${type} ${title}`)).toEqual([
      'Action.OpenUrl Approve',
      'Action.OpenUrl Deny',
      'Action.OpenUrl Open the console',
    ]);
    expect(card.actions[0]!.url).toMatch(/^https:\/\/genops\.example\.com\/console\/approve\//);
  });

  it('a receiver that fails is reported to onError, never thrown', async () => {
    status = 500;
    const errors: string[] = [];
    await approvalWebhook({ url: target, format: 'json', links, onError: (error) => errors.push(error.message) })(
      approval,
    );
    expect(errors).toEqual(['the receiver answered HTTP 500']);
    status = 200;
    expect(() => approvalWebhook({ url: 'mailto:ops@example.com', format: 'slack', links })).toThrow('`webhook.url`');
    expect(() => approvalWebhook({ url: target, format: 'email' as never, links })).toThrow('`webhook.format`');
  });
});
