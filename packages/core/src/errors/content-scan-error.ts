import { GenOpsError } from './genops-error';

const name = 'ContentScanError';

/**
 * A text could not be scanned by content detectors within the limits: it is longer than
 * `maxTextLength` (`reason: 'too_large'`), or the scan ran past its time budget (`reason: 'timeout'`).
 * A content rule treats it as a finding (the call is denied or, in `warn`/`shadow`, reported): content
 * that cannot be checked is never sent unchecked. Never contains any of the text.
 */
export class ContentScanError extends GenOpsError {
  static readonly errorName: string = name;
  readonly reason: 'too_large' | 'timeout';
  /** The text's length in UTF-16 code units. */
  readonly textLength: number;
  /** The limit that was exceeded: characters for `too_large`, milliseconds for `timeout`. */
  readonly limit: number;

  constructor({ reason, textLength, limit }: { reason: 'too_large' | 'timeout'; textLength: number; limit: number }) {
    super({
      name,
      message:
        reason === 'too_large'
          ? `A text of ${textLength} characters is longer than the ${limit} that content detectors scan (maxTextLength). Send less text in one part, or raise \`limits.contentMaxChars\` in the policy.`
          : `Scanning a text of ${textLength} characters for content rules took longer than its ${limit} ms budget. Send less text, simplify custom patterns, or raise \`limits.contentScanBudgetMs\` in the policy.`,
    });
    this.reason = reason;
    this.textLength = textLength;
    this.limit = limit;
  }
}
