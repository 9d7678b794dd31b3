import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isDuration } from '../duration';
import { DURATION_PATTERN, POLICY_SCHEMA_ID, policyJsonSchema } from './json-schema';

const here = dirname(fileURLToPath(import.meta.url));
const committed = join(here, '..', '..', 'schema', 'genops-policy.schema.json');
const REGENERATE = 'UPDATE_SCHEMA=1 pnpm exec vitest run packages/core/src/policy/json-schema';
const fixtures = join(here, '__fixtures__');

type Schema = Record<string, unknown>;

/**
 * A small JSON Schema (draft 2020-12) validator for the keywords the generated schema uses; no
 * validator package is installed. An unknown keyword fails the test rather than being ignored.
 */
function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const type = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  for (const [keyword, rule] of Object.entries(schema)) {
    switch (keyword) {
      case '$schema':
      case '$id':
      case 'title':
      case 'description':
      case 'default':
      case 'format': // annotation only in 2020-12
        break;
      case 'type': {
        const actual = type(value);
        const ok = rule === actual || (rule === 'number' && actual === 'integer');
        if (!ok) errors.push(`${path}: expected ${String(rule)}, got ${actual}`);
        break;
      }
      case 'const':
        if (value !== rule) errors.push(`${path}: expected ${JSON.stringify(rule)}`);
        break;
      case 'enum':
        if (!(rule as unknown[]).includes(value)) errors.push(`${path}: not one of ${JSON.stringify(rule)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(rule as string, 'u').test(value))
          errors.push(`${path}: does not match ${String(rule)}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && value.length < (rule as number)) errors.push(`${path}: too short`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (rule as number)) errors.push(`${path}: < ${String(rule)}`);
        break;
      case 'exclusiveMinimum':
        if (typeof value === 'number' && value <= (rule as number)) errors.push(`${path}: <= ${String(rule)}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (rule as number)) errors.push(`${path}: > ${String(rule)}`);
        break;
      case 'minItems':
        if (Array.isArray(value) && value.length < (rule as number)) errors.push(`${path}: too few items`);
        break;
      case 'items':
        if (Array.isArray(value))
          for (const [index, item] of value.entries())
            errors.push(...validate(rule as Schema, item, `${path}[${index}]`));
        break;
      case 'required':
        if (type(value) === 'object')
          for (const key of rule as string[]) if (!(key in (value as object))) errors.push(`${path}: missing ${key}`);
        break;
      case 'properties':
      case 'additionalProperties':
      case 'propertyNames': {
        if (type(value) !== 'object') break;
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        for (const [key, item] of Object.entries(value as object)) {
          if (keyword === 'properties' && properties[key])
            errors.push(...validate(properties[key], item, `${path}.${key}`));
          if (keyword === 'additionalProperties' && !properties[key]) {
            if (rule === false) errors.push(`${path}: unknown key ${key}`);
            else if (typeof rule === 'object') errors.push(...validate(rule as Schema, item, `${path}.${key}`));
          }
          if (keyword === 'propertyNames') errors.push(...validate(rule as Schema, key, `${path} key ${key}`));
        }
        break;
      }
      case 'anyOf':
      case 'oneOf': {
        const passing = (rule as Schema[]).filter((option) => validate(option, value, path).length === 0).length;
        if (keyword === 'anyOf' ? passing === 0 : passing !== 1)
          errors.push(`${path}: ${passing} of the ${keyword} options match`);
        break;
      }
      default:
        throw new Error(`the test validator does not know the keyword "${keyword}" at ${path}; extend it`);
    }
  }
  return errors;
}

function readFixture(directory: string, file: string): unknown {
  return parse(readFileSync(join(fixtures, directory, file), 'utf8'));
}

describe('policyJsonSchema', () => {
  const schema = policyJsonSchema();

  it('equals the committed packages/core/schema/genops-policy.schema.json', () => {
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(committed, `${JSON.stringify(schema, null, 2)}\n`);
    // Compared as data, so that formatting the file (biome) does not matter.
    const current: unknown = JSON.parse(readFileSync(committed, 'utf8'));
    expect(current, `the committed JSON Schema is out of date; regenerate it with: ${REGENERATE}`).toEqual(schema);
  });

  it('is a draft 2020-12 schema with an id, a title and a description', () => {
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: POLICY_SCHEMA_ID,
      title: 'GenOps policy',
      description: expect.stringContaining('policy'),
      type: 'object',
      required: ['version'],
      additionalProperties: false,
    });
  });

  it('accepts every valid fixture', () => {
    const files = readdirSync(join(fixtures, 'valid'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect([file, validate(schema, readFixture('valid', file))]).toEqual([file, []]);
  });

  it('knows every key used in the valid fixtures', () => {
    const text = JSON.stringify(schema);
    const keys = new Set<string>();
    const collect = (value: unknown, inSelector: boolean): void => {
      if (Array.isArray(value)) for (const item of value) collect(item, false);
      else if (value && typeof value === 'object')
        for (const [key, item] of Object.entries(value)) {
          // Selector keys (`when`, `match`, `require` maps) are free-form attribution keys.
          if (!inSelector) keys.add(key);
          collect(item, ['when', 'match', 'require'].includes(key));
        }
    };
    for (const file of readdirSync(join(fixtures, 'valid'))) collect(readFixture('valid', file), false);
    expect(keys.size).toBeGreaterThan(40);
    for (const key of keys) expect([key, text.includes(`"${key}":`)]).toEqual([key, true]);
  });

  it.each([
    'top-level-key-typo.yaml',
    'version-2.yaml',
    'version-missing.yaml',
    'version-string.yaml',
    'mode-typo.yaml',
    'rules-not-a-list.yaml',
    'rule-type-unknown.yaml',
    'rule-type-missing.yaml',
    'rule-name-missing.yaml',
    'rule-name-spaces.yaml',
    'rule-key-typo.yaml',
    'model-allow-empty.yaml',
    'when-value-number.yaml',
    'tokens-fractional.yaml',
    'cost-string.yaml',
    'content-unknown-detector.yaml',
    'content-bad-flags.yaml',
    'rate-limit-no-limit.yaml',
    'rate-limit-window-typo.yaml',
    'time-window-hour-25.yaml',
    'time-window-unknown-day.yaml',
    'sla-negative.yaml',
    'budget-limit-string.yaml',
    'budget-limit-negative.yaml',
    'budget-limit-zero.yaml',
    'budget-unit-unknown.yaml',
    'budget-window-unknown.yaml',
    'budget-window-words.yaml',
    'budget-window-missing.yaml',
    'budget-warnat-over-one.yaml',
    'budget-warnat-zero.yaml',
    'budget-per-empty.yaml',
    'approvals-timeout-words.yaml',
    'approvals-over-negative.yaml',
    'alerts-webhook-ftp.yaml',
    'alerts-webhook-not-url.yaml',
  ])('lets an editor flag %s', (file) => {
    expect(validate(schema, readFixture('malformed', file))).not.toEqual([]);
  });

  it('checks durations exactly as GenOps does', () => {
    const pattern = new RegExp(DURATION_PATTERN, 'u');
    for (const text of [
      '30s',
      '24h',
      '7d',
      '2w',
      '500ms',
      '1.5h',
      ' 5m ',
      '5 m',
      '5 minutes',
      'h',
      '5',
      '-1h',
      '1e3s',
      '5M',
    ])
      expect([text, pattern.test(text)]).toEqual([text, isDuration(text)]);
  });
});
