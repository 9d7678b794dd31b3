/** `error.type` of an error: its class name, else its `name`, else `_OTHER` (the semconv fallback). */
export function errorTypeOf(error: unknown): string {
  if (error && typeof error === 'object') {
    const name = (error as Error).constructor?.name;
    if (name && name !== 'Object') return name;
    if ((error as Error).name) return (error as Error).name;
  }
  return '_OTHER';
}

/**
 * The HTTP status an SDK error carries (`status` in the OpenAI and Anthropic SDKs, `statusCode` or
 * `$metadata.httpStatusCode` elsewhere), when it is a plausible HTTP status.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const candidate = error as {
    status?: unknown;
    statusCode?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const status = candidate.status ?? candidate.statusCode ?? candidate.$metadata?.httpStatusCode;
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599 ? status : undefined;
}
