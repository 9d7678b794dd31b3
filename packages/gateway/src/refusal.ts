// Refusals in the wire format of the route the client called: an OpenAI error object
// (`{error: {message, type, code, param}}`) or an Anthropic one (`{type: 'error', error: {type, message}}`),
// with the GenOps status and `x-genops-*` headers, so each SDK raises its own typed error.
import type { ServerResponse } from 'node:http';
import { GovernanceError } from '@genops/core';

export type ErrorWire = 'openai' | 'anthropic';

/** What the gateway refuses with: a status, a machine-readable code, a message a person can act on. */
export interface Refusal {
  status: number;
  /** `x-genops-error`: the GenOps error name, or the gateway's own (`GenOpsGatewayError`). */
  name: string;
  /** OpenAI `error.code` and `x-genops-reason-code`. */
  code: string;
  message: string;
  headers?: Readonly<Record<string, string>>;
}

/** Anthropic's error types by status (https://docs.anthropic.com/en/api/errors). */
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
};

/** OpenAI's error types by status. */
const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  402: 'insufficient_quota',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_exceeded',
  500: 'server_error',
  502: 'server_error',
  503: 'server_error',
};

/** The refusal of a GenOps denial (budget 402, policy or approval 403, rate limit 429). */
export function refusalOf(error: GovernanceError): Refusal {
  return {
    status: error.status,
    name: error.name,
    code: error.reasonCode ?? 'genops_denied',
    message: error.message,
    headers: error.headers,
  };
}

export function gatewayRefusal(status: number, code: string, message: string): Refusal {
  return { status, name: 'GenOpsGatewayError', code, message };
}

/** The body and headers of a refusal in `wire`'s error format. */
export function refusalResponse(
  wire: ErrorWire,
  refusal: Refusal,
): { status: number; headers: Record<string, string>; body: string } {
  const body =
    wire === 'anthropic'
      ? JSON.stringify({
          type: 'error',
          error: { type: ANTHROPIC_TYPES[refusal.status] ?? 'api_error', message: refusal.message },
        })
      : JSON.stringify({
          error: {
            message: refusal.message,
            type: OPENAI_TYPES[refusal.status] ?? 'server_error',
            code: refusal.code,
            param: null,
          },
        });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-genops-error': refusal.name,
    'x-genops-reason-code': refusal.code,
    // A denial or a bad key is final: SDK retry layers (OpenAI, Anthropic) honour this header. A rate
    // limit with a `retry-after`, and an upstream that failed (5xx), are left to the client's retry policy.
    ...(isFinal(refusal) ? { 'x-should-retry': 'false' } : {}),
    ...refusal.headers,
  };
  return { status: refusal.status, headers, body };
}

function isFinal(refusal: Refusal): boolean {
  if (refusal.status >= 500) return false;
  return !(refusal.status === 429 && refusal.headers?.['retry-after']);
}

/** Writes the refusal, when the response has not started. */
export function sendRefusal(response: ServerResponse, wire: ErrorWire, refusal: Refusal): void {
  if (response.headersSent || response.destroyed) return;
  const { status, headers, body } = refusalResponse(wire, refusal);
  response.writeHead(status, headers);
  response.end(body);
}

export function isGovernanceError(error: unknown): error is GovernanceError {
  return GovernanceError.isInstance(error);
}
