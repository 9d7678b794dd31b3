import { currentGovernor } from '../adapters';
import { runKnownUngoverned } from '../coverage-copies';
import type { MethodPatcher } from './method-patcher';

const warned = new Set<string>();

/**
 * A billable SDK method its adapter cannot govern yet (no price unit for it, or no way to link it to
 * a unit). While GenOps runs, its first call per process prints one warning to stderr (a Node process
 * warning, code `GENOPS_UNGOVERNED`), so the call is never silently ungoverned; the call itself runs
 * unchanged. `when(args)` narrows it to the billable form (e.g. `retrieve(id, { stream: true })`).
 *
 * @example
 * warnUngoverned(openAIMethods, OpenAI.Videos.prototype, 'remix', {
 *   method: 'openai videos.remix',
 *   adapter: '@genops/provider-openai',
 * });
 */
export function warnUngoverned(
  patcher: MethodPatcher,
  target: Record<PropertyKey, any> | undefined,
  key: string,
  spec: { method: string; adapter: string; when?: (args: unknown[]) => boolean },
): () => void {
  return patcher.patch(target, key, (original) =>
    patcher.mark(original, function (this: unknown, ...args: unknown[]) {
      if (spec.when?.(args) ?? true) warnUngovernedCall(spec);
      // Its request is then reported by coverage as this method's, not as an SDK copy the adapter missed.
      return runKnownUngoverned(spec.method, () => original.apply(this, args));
    }),
  );
}

/**
 * The warning of {@link warnUngoverned}, for a wrapper that governs some calls of a method and lets
 * others through (a resumed stream of a response this process did not start): once per method, while
 * GenOps runs.
 */
export function warnUngovernedCall(spec: { method: string; adapter: string }): void {
  if (!currentGovernor() || warned.has(spec.method)) return;
  warned.add(spec.method);
  process.emitWarning(
    `${spec.method} is not governed by ${spec.adapter} yet: this call runs without a policy check, budget reservation or GenOps span. ` +
      "Don't use it where every model call must be governed; the adapter's docs page lists what is governed.",
    { code: 'GENOPS_UNGOVERNED', type: 'GenOpsWarning' },
  );
}
