import { readStoreAudit, verifyAuditChain } from '@genops/core';
import type { ApprovalRecord } from '@genops/core/internal';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuditIndex, SPEND_DIMENSIONS, type SpendDimension } from './audit-index';
import { type Authenticated, createConsoleAuth, SignInLimiter } from './auth';
import { budgetViews } from './budgets';
import { optionError } from './errors';
import { confirmPage, donePage, problemPage, problemStatus } from './link-page';
import type { LinkProblem } from './links';
import { policyView } from './policy-view';
import { type ConsoleSource, resolveSource, storeFailure } from './source';
import type { ConsoleOptions } from './types';
import { loadUiAssets } from './ui-assets';
import { VERSION } from './version';

const MAX_REASON = 500;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The console as a fastify plugin, served under `prefix` (default `/console`): the pages, the JSON API
 * behind them (`<prefix>/api/...`) and the signed approve/deny links (`<prefix>/approve/<token>`).
 * Mount it on the gateway (`startGateway({ plugins: [consolePlugin({ genops, auth })] })`) or on any
 * fastify server (`app.register(consolePlugin(options))`); `startConsole()` runs it on its own.
 */
export function consolePlugin(options: ConsoleOptions): FastifyPluginAsync {
  // Without `genops` or `store`, the GenOps instance of the server it is mounted on (the gateway's `app.genops`).
  const given = options.genops || options.store ? resolveSource(options) : undefined;
  const auth = createConsoleAuth(options.auth);
  const prefix = normalisePrefix(options.prefix);
  const refreshMs = options.refreshMs ?? 5_000;
  if (!Number.isSafeInteger(refreshMs) || refreshMs < 500)
    throw optionError(
      'refreshMs',
      'the refresh interval is too short or not a whole number',
      'at least 500 (ms)',
      refreshMs,
    );
  const links = options.links;
  const limiter = new SignInLimiter();
  const assets = loadUiAssets();

  let source: ConsoleSource;
  let index: AuditIndex;

  const routes = async (app: FastifyInstance): Promise<void> => {
    // Our own body parsers, whatever the server we are mounted on parses (the gateway keeps JSON raw):
    // JSON with fastify's default (prototype-poisoning safe) parser, forms for the signed-link pages.
    for (const type of ['application/json', 'application/x-www-form-urlencoded'])
      if (app.hasContentTypeParser(type)) app.removeContentTypeParser(type);
    app.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 16_384 },
      app.getDefaultJsonParser('error', 'error'),
    );
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4_096 },
      (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );
    app.addHook('onSend', async (_request, reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });

    // ---- pages ---------------------------------------------------------------------------------------
    app.get('/', async (request, reply) => {
      // Relative asset and API URLs need the trailing slash.
      if (!request.url.split('?')[0]!.endsWith('/')) return reply.redirect(`${prefix}/`, 308);
      return reply.type('text/html; charset=utf-8').send(assets.index);
    });
    app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
      const asset = assets.files.get(request.params.file);
      if (!asset) return reply.code(404).send({ error: { code: 'not_found', message: 'no such asset' } });
      return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
    });

    // ---- session ------------------------------------------------------------------------------------
    app.post<{ Body: { token?: unknown } }>('/api/session', async (request, reply) => {
      if (tooMany(request, reply)) return reply;
      const token = request.body?.token;
      const principal = typeof token === 'string' && token.length <= 1_024 ? auth.userOf(token) : undefined;
      if (!principal) {
        limiter.fail(request.ip);
        return fail(reply, 401, 'unauthenticated', 'that token is not valid for this console');
      }
      auth.startSession(reply, request, principal, prefix);
      return { principal, csrf: auth.csrfToken(principal) };
    });
    app.delete('/api/session', async (_request, reply) => {
      auth.endSession(reply, prefix);
      return { ok: true };
    });

    // ---- the API (authenticated) ---------------------------------------------------------------------
    await app.register(async (api) => {
      api.decorateRequest('who', undefined);
      api.addHook('preHandler', async (request, reply) => {
        if (tooMany(request, reply)) return reply;
        let who: Authenticated | undefined;
        try {
          who = await auth.identify(request);
        } catch {
          who = undefined;
        }
        // A wrong bearer token counts as a failed sign-in; no credentials at all (an expired page) does not.
        if (!who && request.headers.authorization !== undefined) limiter.fail(request.ip);
        if (!who)
          return fail(
            reply,
            401,
            'unauthenticated',
            'sign in with a console token (Authorization: Bearer <token>, or the sign-in page)',
          );
        if (request.method !== 'GET' && request.method !== 'HEAD' && !auth.csrfOk(request, who))
          return fail(
            reply,
            403,
            'csrf',
            'missing or wrong x-genops-csrf header (read it from GET api/session), or a cross-origin request',
          );
        (request as FastifyRequest & { who?: Authenticated }).who = who;
      });
      api.setErrorHandler(async (error, _request, reply) => {
        const status = (error as { statusCode?: number }).statusCode;
        if (status !== undefined && status >= 400 && status < 500)
          return fail(reply, status, 'bad_request', (error as Error).message);
        return fail(reply, 503, 'store_unavailable', storeFailure(error));
      });

      api.get('/api/session', async (request) => {
        const { principal, via } = whoOf(request);
        return {
          principal,
          via,
          csrf: auth.csrfToken(principal),
          version: VERSION,
          refreshMs,
          links: links !== undefined,
        };
      });

      api.get('/api/budgets', async () => ({
        at: new Date().toISOString(),
        budgets: budgetViews(await source.store.lines(), source.policy(), Date.now()),
        openReservations: await source.store.openReservations(),
      }));

      api.get<{ Querystring: { by?: string; bucket?: string; hours?: string } }>(
        '/api/spend',
        async (request, reply) => {
          const by = request.query.by ?? 'team';
          if (!(SPEND_DIMENSIONS as readonly string[]).includes(by))
            return fail(reply, 400, 'bad_request', `by must be one of ${SPEND_DIMENSIONS.join(', ')}`);
          const bucket = request.query.bucket ?? 'hour';
          if (bucket !== 'hour' && bucket !== 'day')
            return fail(reply, 400, 'bad_request', 'bucket must be hour or day');
          const hours = request.query.hours === undefined ? 24 : Number(request.query.hours);
          if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90)
            return fail(reply, 400, 'bad_request', 'hours must be a whole number from 1 to 2160');
          await index.refresh();
          const count = bucket === 'hour' ? hours : Math.ceil(hours / 24);
          return index.spendSeries(by as SpendDimension, bucket, count, Date.now());
        },
      );

      api.get<{ Querystring: { limit?: string } }>('/api/blocked', async (request, reply) => {
        const limit = request.query.limit === undefined ? 100 : Number(request.query.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500)
          return fail(reply, 400, 'bad_request', 'limit must be a whole number from 1 to 500');
        await index.refresh();
        return { blocked: index.blockedCalls(limit) };
      });

      api.get<{ Querystring: { status?: string } }>('/api/approvals', async (request, reply) => {
        const status = request.query.status ?? 'pending';
        if (
          status !== 'all' &&
          status !== 'pending' &&
          status !== 'approved' &&
          status !== 'denied' &&
          status !== 'timed_out'
        )
          return fail(reply, 400, 'bad_request', 'status must be pending, approved, denied, timed_out or all');
        const approvals = await source.approvals.list(status === 'all' ? undefined : { status });
        return { approvals: approvals.slice(0, 500), now: Date.now() };
      });

      api.post<{ Params: { id: string; decision: string }; Body: { reason?: unknown } | undefined }>(
        '/api/approvals/:id/:decision',
        async (request, reply) => {
          const { id, decision } = request.params;
          if (decision !== 'approve' && decision !== 'deny')
            return fail(reply, 404, 'not_found', 'POST api/approvals/<id>/approve or /deny');
          const reason = request.body?.reason;
          if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON))
            return fail(reply, 400, 'bad_request', `reason must be text of at most ${MAX_REASON} characters`);
          if (decision === 'deny' && !reason?.trim())
            return fail(
              reply,
              400,
              'bad_request',
              'say why the call is denied (reason): the caller gets it in its ApprovalDeniedError',
            );
          const { principal } = whoOf(request);
          const result = await decide(id, decision, principal.name, reason?.trim() || undefined);
          if (result.problem)
            return fail(
              reply,
              result.problem === 'unknown' ? 404 : 409,
              result.problem,
              result.message,
              result.approval,
            );
          return { approval: result.approval };
        },
      );

      api.get('/api/audit', async () => {
        const verification = await verifyAuditChain(readStoreAudit(source.store), { maxProblems: 20 });
        await index.refresh();
        const from = Math.max(1, index.lastSeq - 49);
        const records = index.lastSeq > 0 ? await source.store.readAudit({ fromSeq: from, limit: 50 }) : [];
        return { verification, checkedAt: new Date().toISOString(), records: records.reverse() };
      });

      api.get('/api/policy', async () => policyView(source.policy(), source.policySource));
    });

    // ---- signed links -------------------------------------------------------------------------------
    app.get<{ Params: { '*': string } }>('/approve/*', async (request, reply) => {
      const html = reply.type('text/html; charset=utf-8');
      if (!links) return html.code(404).send(problemPage('unknown'));
      const check = links.verify(request.params['*']);
      if (!check.ok) return html.code(problemStatus(check.problem)).send(problemPage(check.problem));
      const approval = await source.approvals.get(check.link.approvalId);
      if (!approval) return html.code(404).send(problemPage('unknown'));
      if (approval.status !== 'pending') return html.code(409).send(problemPage('already_decided', approval));
      return html.send(confirmPage(approval, check.link.decision, request.params['*']));
    });
    app.post<{ Params: { '*': string }; Body: { reason?: unknown; confirm?: unknown } | undefined }>(
      '/approve/*',
      async (request, reply) => {
        const html = reply.type('text/html; charset=utf-8');
        if (!links) return html.code(404).send(problemPage('unknown'));
        const check = links.verify(request.params['*']);
        if (!check.ok) return html.code(problemStatus(check.problem)).send(problemPage(check.problem));
        const { link } = check;
        if (request.body?.confirm !== link.decision) return html.code(400).send(problemPage('malformed'));
        const reasonGiven = request.body?.reason;
        const reason = typeof reasonGiven === 'string' ? reasonGiven.trim().slice(0, MAX_REASON) : '';
        const approval = await source.approvals.get(link.approvalId);
        if (!approval) return html.code(404).send(problemPage('unknown'));
        if (!(await links.consume(source.store, link))) return html.code(409).send(problemPage('reused', approval));
        // Someone signed in to the console (the session cookie comes with this same-site form) is named.
        const who = await auth.identify(request).catch(() => undefined);
        const by = who ? `${who.principal.name} (signed link)` : 'signed link';
        const result = await decide(
          approval.id,
          link.decision,
          by,
          reason || (link.decision === 'deny' ? 'denied from a signed link' : undefined),
        );
        if (result.problem)
          return html.code(problemStatus(result.problem)).send(problemPage(result.problem, result.approval));
        return html.send(donePage(result.approval));
      },
    );
  };

  /** Answers 429 when the client failed to sign in too often lately. */
  function tooMany(request: FastifyRequest, reply: FastifyReply): boolean {
    const seconds = limiter.retryAfter(request.ip);
    if (seconds === 0) return false;
    reply.header('retry-after', String(seconds));
    fail(reply, 429, 'too_many_attempts', `too many failed sign-ins from this address; try again in ${seconds} s`);
    return true;
  }

  /** Decides through the store's compare-and-set; another decision that came first is a problem. */
  async function decide(
    id: string,
    decision: 'approve' | 'deny',
    by: string,
    reason: string | undefined,
  ): Promise<
    | { approval: ApprovalRecord; problem?: undefined; message?: undefined }
    | { approval?: ApprovalRecord; problem: LinkProblem; message: string }
  > {
    const status = decision === 'approve' ? 'approved' : 'denied';
    const current = await source.approvals.get(id);
    if (!current) return { problem: 'unknown', message: `no approval ${id} in the store` };
    if (current.status !== 'pending')
      return {
        approval: current,
        problem: 'already_decided',
        message: `approval ${id} was already ${current.status} by ${current.decidedBy ?? 'someone'}`,
      };
    const options = { by, ...(reason ? { reason } : {}) };
    const decided =
      decision === 'approve' ? await source.approvals.approve(id, options) : await source.approvals.deny(id, options);
    if (!decided) return { problem: 'unknown', message: `no approval ${id} in the store` };
    if (decided.status !== status || decided.decidedBy !== by)
      return {
        approval: decided,
        problem: 'already_decided',
        message: `approval ${id} was already ${decided.status} by ${decided.decidedBy ?? 'someone'}`,
      };
    return { approval: decided };
  }

  const plugin: FastifyPluginAsync = async (app) => {
    const mountedOn = (app as FastifyInstance & { genops?: ConsoleOptions['genops'] }).genops;
    source = given ?? resolveSource({ ...options, genops: mountedOn });
    index = new AuditIndex(source.store);
    await app.register(routes, { prefix });
  };
  // A name for fastify's plugin list and error messages.
  Object.defineProperty(plugin, 'name', { value: 'genops-console' });
  return plugin;
}

function whoOf(request: FastifyRequest): Authenticated {
  return (request as FastifyRequest & { who: Authenticated }).who;
}

function fail(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  approval?: ApprovalRecord,
): FastifyReply {
  return reply.code(status).send({ error: { code, message }, ...(approval ? { approval } : {}) });
}

function normalisePrefix(value: string | undefined): string {
  const prefix = value ?? '/console';
  const plain =
    typeof prefix === 'string' &&
    prefix.startsWith('/') &&
    prefix
      .slice(1)
      .split('/')
      .every((segment) => /^[A-Za-z0-9._~-]+$/.test(segment));
  if (!plain)
    throw optionError(
      'prefix',
      'the console path is not a plain URL path',
      "e.g. '/console' (no trailing slash)",
      prefix,
    );
  return prefix;
}
