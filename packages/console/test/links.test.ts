import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GenOpsHandle, MemoryStore } from '@genops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalWebhook, createApprovalLinks, type RunningConsole, startConsole } from '../src/index';
import { eventually, heldCall, LINK_SECRET, startGenOps, TOKEN } from './fixtures';

// Signed approve/deny links: what a link holder can and cannot do (tampered, expired, reused, already
// decided), the GET-confirms/POST-decides split, and the webhook that carries the links to Slack, Teams or
// a JSON receiver (a real local HTTP server here).

describe('createApprovalLinks', () => {
  const links = createApprovalLinks({ secret: LINK_SECRET, baseUrl: 'https://genops.example.com/console/' });
  const now = 1_800_000_000_000;

  it('signs links that verify, naming the approval, the decision and the expiry', () => {
    const token = links.sign('3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e', 'deny', now + 60_000);
    expect(links.verify(token, now)).toEqual({
      ok: true,
      link: {
        approvalId: '3f2c41aa-6a1e-4c59-9a53-0b7d7b1f3c2e',
        decision: 'deny',
        expiresAt: now + 60_000,
        nonce: expect.any(String),
      },
    });
    const { approve, deny } = links.linksFor({ id: 'abc', expiresAt: now + 10_000 }, now);
    expect(approve).toMatch(/^https:\/\/genops\.example\.com\/console\/approve\/abc\.a\./);
    expect(deny).toMatch(/^https:\/\/genops\.example\.com\/console\/approve\/abc\.d\./);
  });

  it('never outlives the held call: the expiry is the earlier of the ttl and the approval’s own', () => {
    const short = links.linksFor({ id: 'abc', expiresAt: now + 10_000 }, now);
    const token = short.approve.split('/').at(-1)!;
    expect(links.verify(token, now + 9_999).ok).toBe(true);
    expect(links.verify(token, now + 10_000)).toEqual({ ok: false, problem: 'expired' });
  });

  it('refuses a changed decision, id, expiry or signature, and a token signed with another secret', () => {
    const token = links.sign('abc', 'deny', now + 60_000);
    const [id, , expiry, nonce, mac] = token.split('.');
    const problem = (value: string) => {
      const check = links.verify(value, now);
      return check.ok ? 'ok' : check.problem;
    };
    expect(problem([id, 'a', expiry, nonce, mac].join('.'))).toBe('tampered');
    expect(problem(['abd', 'd', expiry, nonce, mac].join('.'))).toBe('tampered');
    expect(problem([id, 'd', (now + 3_600_000).toString(36), nonce, mac].join('.'))).toBe('tampered');
    // Every other last character is refused, including those base64url decodes to the same MAC bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const last of alphabet.replace(mac!.slice(-1), ''))
      expect(problem([id, 'd', expiry, nonce, `${mac!.slice(0, -1)}${last}`].join('.'))).toBe('tampered');
    const other = createApprovalLinks({
      secret: `${LINK_SECRET}-other`,
      baseUrl: 'https://genops.example.com/console',
    });
    expect(problem(other.sign('abc', 'deny', now + 60_000))).toBe('tampered');
    expect(problem('abc.d')).toBe('malformed');
    expect(problem(`${'x'.repeat(300)}.a.1.nonce.mac`)).toBe('malformed');
    expect(problem(['ab/c', 'd', expiry, nonce, mac].join('.'))).toBe('malformed');
    expect(problem(`${token}.extra`)).toBe('malformed');
  });

  it('rejects a short secret and a base URL that is not http(s), without echoing the secret', () => {
    expect(() => createApprovalLinks({ secret: 'short-secret', baseUrl: 'https://x' })).toThrow(
      'Invalid GenOps option `links.secret`: the link secret is missing or too short (expected a string of at least 32 characters',
    );
    try {
      createApprovalLinks({ secret: 'short-secret', baseUrl: 'https://x' });
    } catch (error) {
      expect(JSON.stringify(error)).not.toContain('short-secret');
      expect((error as { received: unknown }).received).toBe('"a string of 12 characters"');
    }
    expect(() => createApprovalLinks({ secret: LINK_SECRET, baseUrl: 'ftp://x' })).toThrow('`links.baseUrl`');
  });
});

describe('signed links on the console', () => {
  let genops: GenOpsHandle;
  let running: RunningConsole;
  let receiver: ReturnType<typeof createServer>;
  const received: Array<{ headers: IncomingMessage['headers']; body: Record<string, unknown> }> = [];
  let receiverUrl: string;
  let links: ReturnType<typeof createApprovalLinks>;

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    // The console's URL is known once it listens; the links need it, so the hook reads it late.
    let notify: ((approval: Parameters<ReturnType<typeof approvalWebhook>>[0]) => Promise<void>) | undefined;
    genops = startGenOps(new MemoryStore(), { onApprovalRequired: (approval) => notify?.(approval) });
    const placeholder = createApprovalLinks({ secret: LINK_SECRET, baseUrl: 'http://127.0.0.1/console' });
    running = await startConsole({ genops, auth: { users: [{ name: 'alice', token: TOKEN }] }, links: placeholder });
    await running.close();
    const port = Number(new URL(running.url).port);
    links = createApprovalLinks({ secret: LINK_SECRET, baseUrl: `http://127.0.0.1:${port}/console` });
    running = await startConsole({ genops, port, auth: { users: [{ name: 'alice', token: TOKEN }] }, links });
    notify = approvalWebhook({ url: receiverUrl, format: 'json', links, signingSecret: 'body-signing-secret' });
  });

  afterAll(async () => {
    await running?.close();
    await genops?.shutdown();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  /** Holds a call and waits for its webhook; returns the held promise and the links it carried. */
  async function holdOne() {
    const before = received.length;
    const held = heldCall(genops);
    held.catch(() => undefined); // asserted by the tests
    const delivery = await eventually(async () => received[before], 'the webhook delivery');
    const body = delivery.body as {
      approval: { id: string };
      links: { approve: string; deny: string; console: string };
    };
    return { held, delivery, id: body.approval.id, links: body.links };
  }

  const form = (url: string, fields: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });

  it('the JSON webhook carries the approval and both links, with a body signature', async () => {
    const { delivery, id, links: sent } = await holdOne();
    expect(delivery.body).toMatchObject({
      type: 'genops.approval.required',
      approval: {
        id,
        status: 'pending',
        model: 'o1-pro',
        rule: 'requireApprovalOver',
        attribution: { team: 'research', project: 'reports' },
      },
    });
    expect(sent.approve).toContain(`/console/approve/${id}.a.`);
    expect(sent.deny).toContain(`/console/approve/${id}.d.`);
    expect(sent.console).toBe(`${links.baseUrl}/#/approvals`);
    const { createHmac } = await import('node:crypto');
    expect(delivery.headers['x-genops-signature']).toBe(
      `sha256=${createHmac('sha256', 'body-signing-secret').update(JSON.stringify(delivery.body)).digest('hex')}`,
    );
    await genops.approvals.deny(id, { by: 'cleanup', reason: 'end of test' });
  });

  it('a GET shows a confirmation and decides nothing; the POST approves and the held call runs; a reuse is refused', async () => {
    const { held, id, links: sent } = await holdOne();
    const page = await fetch(sent.approve);
    expect(page.status).toBe(200);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await page.text();
    expect(html).toContain('Approve this call?');
    expect(html).toContain('openai/o1-pro');
    expect((await genops.approvals.get(id))?.status).toBe('pending');
    const done = await form(sent.approve, { confirm: 'approve', reason: 'ok from chat' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('approved by signed link');
    await expect(held).resolves.toBe('ran');
    expect(await genops.approvals.get(id)).toMatchObject({
      status: 'approved',
      decidedBy: 'signed link',
      decisionReason: 'ok from chat',
    });
    const again = await form(sent.approve, { confirm: 'approve' });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This link was already used');
  });

  it('the deny link denies; the approve link of an approval decided elsewhere is refused as already decided', async () => {
    const first = await holdOne();
    const denied = await form(first.links.deny, { confirm: 'deny', reason: 'not today' });
    expect(denied.status).toBe(200);
    await expect(first.held).rejects.toMatchObject({
      name: 'ApprovalDeniedError',
      decidedBy: 'signed link',
      reason: 'not today',
    });

    const second = await holdOne();
    await genops.approvals.approve(second.id, { by: 'bob' });
    await expect(second.held).resolves.toBe('ran');
    const page = await fetch(second.links.deny);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('approved by bob');
    const post = await form(second.links.deny, { confirm: 'deny', reason: 'late' });
    expect(post.status).toBe(409);
    expect(await post.text()).toContain('Already decided');
    expect((await genops.approvals.get(second.id))?.status).toBe('approved');
  });

  it('a tampered, expired or malformed link is refused on GET and POST, and decides nothing', async () => {
    const { id, links: sent } = await holdOne();
    const token = sent.approve.split('/').at(-1)!;
    const [, , , nonce] = token.split('.');
    const flipped = `${links.baseUrl}/approve/${token.replace(`${id}.a.`, `${id}.d.`)}`;
    expect((await fetch(flipped)).status).toBe(403);
    expect((await form(flipped, { confirm: 'deny', reason: 'x' })).status).toBe(403);
    const expired = `${links.baseUrl}/approve/${links.sign(id, 'approve', Date.now() - 1, nonce)}`;
    const refused = await form(expired, { confirm: 'approve' });
    expect(refused.status).toBe(410);
    expect(await refused.text()).toContain('This link has expired');
    expect((await fetch(`${links.baseUrl}/approve/not-a-token`)).status).toBe(400);
    // The confirmation must match the link's own decision (a form posted to another link's URL decides nothing).
    expect((await form(sent.approve, { confirm: 'deny' })).status).toBe(400);
    expect((await genops.approvals.get(id))?.status).toBe('pending');
    await genops.approvals.deny(id, { by: 'cleanup', reason: 'end of test' });
  });

  it('a signed-in console user who follows a link is named in the decision', async () => {
    const { held, links: sent } = await holdOne();
    const signIn = await fetch(new URL('api/session', running.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const done = await fetch(sent.approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ confirm: 'approve' }),
    });
    expect(done.status).toBe(200);
    await expect(held).resolves.toBe('ran');
    const [latest] = await genops.approvals.list({ status: 'approved' });
    expect(latest?.decidedBy).toBe('alice (signed link)');
  });
});
