// Stage: output content rules on streamed text. Findings are recorded as kinds and counts only.
import type { Span } from '@opentelemetry/api';
import { PolicyViolationError } from '../errors/policy-violation-error';
import type { CompiledPolicy } from '../policy/compile';
import { createStreamScanner } from '../policy/detectors/index';
import { describeCounts, type OutputContentRule, subjectOf } from '../policy/policy-engine';
import type { Attribution, GovernedRequest } from '../types';
import type { CallRecorder } from './recorder';

type Scanner = { rule: OutputContentRule; scanner: ReturnType<typeof createStreamScanner> };

export class OutputGuard {
  private scanners: Scanner[] | undefined;
  /** The rule that stopped the stream, if one did. */
  blockedBy: string | undefined;

  constructor(
    private readonly recorder: CallRecorder,
    private readonly call: {
      span: Span;
      policy: CompiledPolicy;
      request: GovernedRequest;
      attribution: Readonly<Attribution>;
    },
  ) {}

  /** The error to stop the stream with when an enforcing rule matched `textDelta`; else `undefined`. */
  check(textDelta: string): PolicyViolationError | undefined {
    if (this.blockedBy) return undefined;
    const scanners = this.active();
    if (!scanners) return undefined;
    for (const { rule, scanner } of scanners) {
      const findings = scanner.push(textDelta);
      if (findings.length === 0) continue;
      const summary = this.findings(rule, findings, true);
      if (rule.mode !== 'enforce') continue;
      this.blockedBy = rule.name;
      return new PolicyViolationError({
        rule: rule.name,
        reasonCode: 'POLICY_DENY_CONTENT',
        message: `The model's output contained ${summary}, which policy rule "${rule.name}" does not allow; the stream was stopped.`,
      });
    }
    return undefined;
  }

  /** The stream ended: findings the scanners still held (text at the very end) are recorded, too late to stop. */
  end(): void {
    if (!this.scanners || this.blockedBy) return;
    for (const { rule, scanner } of this.scanners) {
      const findings = scanner.end();
      if (findings.length > 0) this.findings(rule, findings, false);
    }
  }

  /** Output rules that apply to this call, each with its own stream scanner (created on first use). */
  private active(): Scanner[] | undefined {
    if (!this.scanners) {
      const rules = this.call.policy.engine.outputRules;
      if (rules.length === 0) return undefined;
      const subject = subjectOf(this.call);
      this.scanners = rules
        .filter((rule) => !rule.when || rule.when.matches(subject))
        .map((rule) => ({ rule, scanner: createStreamScanner(rule.detector) }));
    }
    return this.scanners.length === 0 ? undefined : this.scanners;
  }

  private findings(rule: OutputContentRule, findings: readonly { kind: string }[], canAct: boolean): string {
    const counts: Record<string, number> = {};
    for (const finding of findings) counts[finding.kind] = (counts[finding.kind] ?? 0) + 1;
    this.recorder.outputFindings(this.call.span, rule, counts, canAct);
    return describeCounts(counts);
  }
}
