import { errorTypeOf, httpStatusOf } from '../errors/error-type';
import { GenOpsError } from '../errors/genops-error';

/**
 * The span status message for a failed call or step. A provider's error text can echo the prompt,
 * keys or personal data (a 400 that quotes the request), so by default it is the error's type and
 * HTTP status only (`BadRequestError (HTTP 400)`). GenOps' own errors say which rule or budget and
 * never carry content, so their message is kept. With `captureContent` the original message is kept.
 */
export function errorStatusMessage(error: unknown, captureContent = false): string {
  if (captureContent || GenOpsError.isInstance(error)) return (error as Error)?.message ?? String(error);
  const status = httpStatusOf(error);
  const type = errorTypeOf(error);
  return status === undefined ? type : `${type} (HTTP ${status})`;
}
