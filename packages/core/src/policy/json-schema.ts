// The policy document as JSON Schema, for editor completion and validation of genops.policy.yaml/.json.
// Committed as packages/core/schema/genops-policy.schema.json; json-schema.test.ts checks it is current
// (regenerate with `UPDATE_SCHEMA=1 pnpm exec vitest run packages/core/src/policy/json-schema`).
import { z } from 'zod';
import { policyDocumentSchema } from './schema';

/** Where the published schema can be fetched: the file shipped in the npm package. */
export const POLICY_SCHEMA_ID = 'https://unpkg.com/@genops/core/schema/genops-policy.schema.json';

/** The same shape as `isDuration` in duration.ts (which trims first), as a JSON Schema pattern; the range (1 ms to 10 years) is checked when loading. */
export const DURATION_PATTERN = '^\\s*\\d{1,15}(?:\\.\\d{1,6})?\\s{0,8}(?:ms|s|m|h|d|w)\\s*$';

function accepts(schema: z.core.$ZodType, value: string): boolean {
  return z.safeParse(schema, value).success;
}

/**
 * Duration and time-zone strings are refinements, invisible to JSON Schema; they are recognised by
 * what they accept (schema.ts builds several of them, so identity would not do).
 */
function isDurationString(schema: z.core.$ZodType): boolean {
  return (
    schema._zod.def.type === 'string' &&
    ['30s', '24h', '500ms', '1.5h'].every((value) => accepts(schema, value)) &&
    !['abc', '30 seconds', ''].some((value) => accepts(schema, value))
  );
}

function isTimeZoneString(schema: z.core.$ZodType): boolean {
  return (
    schema._zod.def.type === 'string' &&
    ['UTC', 'Europe/Paris'].every((value) => accepts(schema, value)) &&
    !['abc', 'Not/A_Zone'].some((value) => accepts(schema, value))
  );
}

/**
 * The JSON Schema (draft 2020-12) of a policy document as written (input side: keys with defaults are
 * optional). Refinements that JSON Schema cannot express (glob syntax, time zones, regular expressions,
 * cross-field rules) are checked only by GenOps itself; durations and webhook URLs get patterns.
 */
export function policyJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(policyDocumentSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (isDurationString(zodSchema)) {
        jsonSchema.pattern = DURATION_PATTERN;
        jsonSchema.description ??= 'A duration: a number and a unit (ms, s, m, h, d or w), e.g. "30s", "24h", "7d"';
      } else if (isTimeZoneString(zodSchema)) {
        jsonSchema.description ??= 'An IANA time zone, e.g. "UTC", "Europe/Paris", "America/New_York"';
      } else if (jsonSchema.format === 'uri') {
        jsonSchema.pattern = '^https?://';
      }
    },
  }) as Record<string, unknown>;
  const { $schema, properties, ...rest } = generated;
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: 'GenOps policy',
    description:
      'A GenOps policy document (genops.policy.yaml or .json): rules, budgets, approvals and alerts for AI calls.',
    ...rest,
    properties: {
      ...(properties as Record<string, unknown>),
      $schema: { type: 'string', description: 'The JSON Schema of this file, for editor completion.' },
    },
  };
}
