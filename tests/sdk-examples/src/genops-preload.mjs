// Stand-in for `@genops/core/register` until main has it: GenOps.init() before the app loads, the policy
// (budgets) from GENOPS_POLICY, and every ended decision appended to GENOPS_EXAMPLES_DECISIONS.
import { appendFileSync } from 'node:fs';
import { GenOps } from '@genops/core';

const decisions = process.env.GENOPS_EXAMPLES_DECISIONS;
const genops = GenOps.init({
  policy: process.env.GENOPS_POLICY,
  watchPolicy: false,
  audit: false,
  onDecision: decisions ? (decision) => appendFileSync(decisions, `${JSON.stringify(decision)}\n`) : undefined,
});
if (genops.ready) await genops.ready;
