import type { ApprovalRecord } from '@genops/core/internal';
import type { LinkDecision, LinkProblem } from './links';

// The small server-rendered pages of a signed link: a GET shows what would be decided and a button
// (a POST), so a link unfurler or a mail scanner that fetches the URL decides nothing.

const PROBLEMS: Record<LinkProblem, { status: number; title: string; text: string }> = {
  malformed: {
    status: 400,
    title: 'This link is not a GenOps approval link',
    text: 'The link is incomplete or was changed. Use the buttons of the original message, or decide in the console.',
  },
  tampered: {
    status: 403,
    title: 'This link was changed',
    text: 'Its signature does not match. Use the buttons of the original message, or decide in the console.',
  },
  expired: {
    status: 410,
    title: 'This link has expired',
    text: 'Approval links are valid for a limited time, never past the moment the held call stops waiting. Decide in the console if the call is still pending.',
  },
  reused: { status: 409, title: 'This link was already used', text: 'Each approval link works once.' },
  unknown: {
    status: 404,
    title: 'No such approval',
    text: 'The store does not hold this approval any more (decided and expired approvals are dropped after a while).',
  },
  already_decided: { status: 409, title: 'Already decided', text: 'Someone decided this call before you.' },
};

export function problemStatus(problem: LinkProblem): number {
  return PROBLEMS[problem].status;
}

export function problemPage(problem: LinkProblem, approval?: ApprovalRecord): string {
  const { title, text } = PROBLEMS[problem];
  const decided =
    approval && approval.status !== 'pending' ? `<p data-testid="decided">${escapeHtml(statusText(approval))}</p>` : '';
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${decided}`, problem);
}

export function confirmPage(approval: ApprovalRecord, decision: LinkDecision, token: string): string {
  const verb = decision === 'approve' ? 'Approve' : 'Deny';
  const reason =
    decision === 'deny'
      ? '<label>Reason (told to the caller)<br><input name="reason" maxlength="500" required value="denied from a signed link"></label>'
      : '<label>Reason (optional)<br><input name="reason" maxlength="500"></label>';
  return page(
    `${verb} this call?`,
    `<h1>${verb} this call?</h1>${facts(approval)}
<form method="post" action="${escapeHtml(token)}">
${reason}
<input type="hidden" name="confirm" value="${decision}">
<p><button type="submit" class="${decision}" data-testid="confirm">${verb}</button></p>
</form>`,
    'confirm',
  );
}

export function donePage(approval: ApprovalRecord): string {
  const title = approval.status === 'approved' ? 'Approved' : 'Denied';
  return page(
    title,
    `<h1>${title}</h1>${facts(approval)}<p data-testid="decided">${escapeHtml(statusText(approval))}</p>`,
    'done',
  );
}

function statusText(approval: ApprovalRecord): string {
  const status = approval.status === 'timed_out' ? 'timed out' : approval.status;
  return `${status}${approval.decidedBy ? ` by ${approval.decidedBy}` : ''}${approval.decidedAt ? ` at ${new Date(approval.decidedAt).toISOString()}` : ''}${approval.decisionReason ? `: ${approval.decisionReason}` : ''}`;
}

function facts(approval: ApprovalRecord): string {
  const who = Object.entries(approval.attribution)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
  const rows: Array<[string, string]> = [
    ['Call', `${approval.provider}/${approval.model} (${approval.operation})`],
    ['For', who || '(no attribution)'],
    ['Up to', `$${approval.estimatedCostUsd}`],
    ['Why', approval.reason],
    ['Rule', approval.rule],
    ['Waits until', new Date(approval.expiresAt).toISOString()],
    ['Id', approval.id],
  ];
  return `<table>${rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</table>`;
}

function page(title: string, body: string, kind: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · GenOps</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1b1e}
th{text-align:left;padding:.25rem 1rem .25rem 0;color:#555;vertical-align:top}td{padding:.25rem 0}
input{width:100%;padding:.4rem;font:inherit}button{font:inherit;padding:.5rem 1.5rem;border:0;border-radius:4px;color:#fff;cursor:pointer}
.approve{background:#2f9e44}.deny{background:#e03131}</style></head>
<body data-page="${kind}">${body}</body></html>`;
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
