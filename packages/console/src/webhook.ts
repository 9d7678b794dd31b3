import { createHmac } from 'node:crypto';
import type { ApprovalRecord } from '@genops/core/internal';
import { diag } from '@opentelemetry/api';
import { optionError } from './errors';
import type { ApprovalLinks } from './links';

// The outbound webhook told about each held call (`GenOps.init({ onApprovalRequired: approvalWebhook(...) })`),
// with signed approve/deny links the console decides. One payload shape per target:
// - `slack`: an incoming-webhook message, `text` plus Block Kit `blocks` with two link buttons;
// - `teams`: a Teams Workflows ("Post to a channel when a webhook request is received") message carrying an
//   Adaptive Card 1.4 with two `Action.OpenUrl` buttons;
// - `json`: `{ type: 'genops.approval.required', approval, links }` for your own receiver, signed with
//   `x-genops-signature: sha256=<hex HMAC of the body>` when `signingSecret` is set.

export type WebhookFormat = 'slack' | 'teams' | 'json';

export interface ApprovalWebhookOptions {
  /** Where to POST, e.g. a Slack incoming-webhook URL. */
  url: string;
  format: WebhookFormat;
  /** Signs the approve/deny links (the console that handles them needs the same). */
  links: ApprovalLinks;
  /** For `json`: signs the body (`x-genops-signature: sha256=<hex>`). */
  signingSecret?: string;
  /** How long to wait for the receiver, ms. Default 5000. */
  timeoutMs?: number;
  /** Told when a delivery fails (default: a diag warning); the held call keeps waiting either way. */
  onError?: (error: Error, approval: ApprovalRecord) => void;
}

/** What a webhook POSTs for `approval` (exported for tests and for previews). */
export function approvalPayload(
  format: WebhookFormat,
  approval: ApprovalRecord,
  links: { approve: string; deny: string; console: string },
): Record<string, unknown> {
  const who = Object.entries(approval.attribution)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const cost = `$${approval.estimatedCostUsd}`;
  const call = `${approval.provider}/${approval.model} (${approval.operation})`;
  const expires = new Date(approval.expiresAt).toISOString();
  const summary = `GenOps: a call needs approval: ${call}${who ? ` for ${who}` : ''}, up to ${cost}`;
  if (format === 'slack')
    return {
      text: summary,
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `*A call is held for approval*\n${slackEscape(call)}${who ? ` for ${slackEscape(who)}` : ''}, up to *${cost}*\n_${slackEscape(approval.reason)}_`,
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: `id \`${approval.id}\` · rule \`${slackEscape(approval.rule)}\` · waits until ${expires}`,
            },
          ],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Approve' },
              style: 'primary',
              url: links.approve,
              action_id: 'genops_approve',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Deny' },
              style: 'danger',
              url: links.deny,
              action_id: 'genops_deny',
            },
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open the console' },
              url: links.console,
              action_id: 'genops_console',
            },
          ],
        },
      ],
    };
  if (format === 'teams')
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              { type: 'TextBlock', text: 'A call is held for approval', weight: 'Bolder', size: 'Medium' },
              { type: 'TextBlock', text: approval.reason, wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Call', value: call },
                  { title: 'For', value: who || '(no attribution)' },
                  { title: 'Up to', value: cost },
                  { title: 'Rule', value: approval.rule },
                  { title: 'Waits until', value: expires },
                  { title: 'Id', value: approval.id },
                ],
              },
            ],
            actions: [
              { type: 'Action.OpenUrl', title: 'Approve', url: links.approve },
              { type: 'Action.OpenUrl', title: 'Deny', url: links.deny },
              { type: 'Action.OpenUrl', title: 'Open the console', url: links.console },
            ],
          },
        },
      ],
    };
  return { type: 'genops.approval.required', summary, approval, links };
}

/**
 * An `onApprovalRequired` hook that POSTs each held call to a chat webhook with signed approve/deny
 * links: `GenOps.init({ onApprovalRequired: approvalWebhook({ url, format: 'slack', links }) })`.
 * Resolves when delivered; a failed delivery is reported (never thrown): the call keeps waiting.
 */
export function approvalWebhook(options: ApprovalWebhookOptions): (approval: ApprovalRecord) => Promise<void> {
  const target = parseUrl(options?.url);
  const format = options.format;
  if (format !== 'slack' && format !== 'teams' && format !== 'json')
    throw optionError('webhook.format', 'unknown webhook format', "'slack', 'teams' or 'json'", format);
  if (!options.links)
    throw optionError('webhook.links', 'no link signer', 'createApprovalLinks({ secret, baseUrl })', undefined);
  const timeoutMs = options.timeoutMs ?? 5_000;
  const report =
    options.onError ??
    ((error: Error, approval: ApprovalRecord) =>
      diag.warn(`genops console: the approval webhook for ${approval.id} failed: ${error.message}`));
  return async (approval) => {
    try {
      const links = { ...options.links.linksFor(approval), console: `${options.links.baseUrl}/#/approvals` };
      const body = JSON.stringify(approvalPayload(format, approval, links));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (options.signingSecret)
        headers['x-genops-signature'] =
          `sha256=${createHmac('sha256', options.signingSecret).update(body).digest('hex')}`;
      const response = await fetch(target, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer().catch(() => undefined);
      if (!response.ok) throw new Error(`the receiver answered HTTP ${response.status}`);
    } catch (error) {
      report(error instanceof Error ? error : new Error(String(error)), approval);
    }
  };
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters. */
function slackEscape(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function parseUrl(value: unknown): string {
  try {
    const url = new URL(String(value));
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // reported below
  }
  throw optionError(
    'webhook.url',
    'the webhook URL is not an http(s) URL',
    'e.g. https://hooks.slack.com/services/…',
    value,
  );
}
