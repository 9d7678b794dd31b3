import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/config-error';
import { GenOpsError } from '../errors/genops-error';
import { PolicyFileError } from '../errors/policy-file-error';
import { closestMatch, levenshtein } from '../zod-issue';
import { loadPolicyFile, loadPolicyFileSync, parsePolicy, parsePolicyObject } from './load';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '__fixtures__');
const valid = join(fixtures, 'valid');
const malformed = join(fixtures, 'malformed');

function policyError(run: () => unknown): PolicyFileError {
  try {
    run();
  } catch (error) {
    if (PolicyFileError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a PolicyFileError');
}

async function policyErrorAsync(run: () => Promise<unknown>): Promise<PolicyFileError> {
  try {
    await run();
  } catch (error) {
    if (PolicyFileError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a PolicyFileError');
}

describe('valid policy files', () => {
  const files = readdirSync(valid).sort();

  it('has at least 4 worked examples, YAML and JSON', () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    expect(files.some((file) => file.endsWith('.json'))).toBe(true);
    expect(files.some((file) => file.endsWith('.yaml'))).toBe(true);
  });

  it.each(files)('%s parses', (file) => {
    const document = loadPolicyFileSync(join(valid, file));
    expect(document.version).toBe(1);
  });

  it('cover every rule type', () => {
    const types = new Set(
      files.flatMap((file) => loadPolicyFileSync(join(valid, file)).rules.map((rule) => rule.type)),
    );
    expect([...types].sort()).toEqual(
      [
        'attribution',
        'content',
        'cost',
        'model',
        'provider',
        'rate_limit',
        'region',
        'sla',
        'time_window',
        'tokens',
        'tool',
      ].sort(),
    );
  });

  it('cover budgets of every shape, approvals and alerts', () => {
    const documents = files.map((file) => loadPolicyFileSync(join(valid, file)));
    const budgets = documents.flatMap((document) => document.budgets);
    expect(new Set(budgets.map((budget) => budget.window))).toEqual(
      new Set(['day', 'week', 'month', 'total', '24h', '7d']),
    );
    expect(new Set(budgets.map((budget) => budget.action))).toEqual(
      new Set(['block', 'warn', 'approval', 'downgrade']),
    );
    expect(new Set(budgets.map((budget) => budget.unit))).toEqual(new Set(['USD', 'tokens']));
    expect(budgets.find((budget) => budget.action === 'downgrade')?.downgradeTo).toBe('gpt-4o-mini');
    expect(budgets.some((budget) => budget.timezone)).toBe(true);
    expect(budgets.some((budget) => budget.match)).toBe(true);
    expect(budgets.some((budget) => typeof budget.per === 'string')).toBe(true);
    expect(budgets.some((budget) => Array.isArray(budget.per))).toBe(true);
    expect(budgets.some((budget) => budget.warnAt && budget.warnAt.length > 1)).toBe(true);
    expect(documents.some((document) => document.approvals?.timeout === '10m')).toBe(true);
    expect(documents.some((document) => typeof document.approvals?.timeout === 'number')).toBe(true);
    expect(documents.filter((document) => document.alerts?.webhook).length).toBeGreaterThanOrEqual(2);
  });

  it('fills defaults', () => {
    const document = loadPolicyFileSync(join(valid, 'minimal.yaml'));
    expect(document).toEqual({ version: 1, mode: 'enforce', rules: [], budgets: [] });
    const budgets = loadPolicyFileSync(join(valid, 'budgets-approvals-alerts.yaml')).budgets;
    expect(budgets[0]).toMatchObject({ name: 'org-daily', unit: 'USD', action: 'block' });
    const content = loadPolicyFileSync(join(valid, 'content-tools-and-limits.yaml')).rules[0];
    expect(content).toMatchObject({ type: 'content', action: 'deny', scope: 'input' });
  });

  it('loads asynchronously too', async () => {
    const file = join(valid, 'shadow-rollout.json');
    expect(await loadPolicyFile(file)).toEqual(loadPolicyFileSync(file));
  });
});

// One mistake per file: where it is reported (line, column, path), what the source shows there, and
// what the message says. Every value is exact, so each case can fail.
const MALFORMED: [file: string, line: number, column: number, path: string, at: string, message: string][] = [
  // YAML syntax
  ['yaml-unclosed-flow-list.yaml', 6, 12, 'rules[0].allow', '[gpt-4o,', 'YAML syntax error: unclosed "["'],
  ['yaml-unclosed-quote.yaml', 7, 9, 'rules[0].allow[0]', '"gpt-4o*', 'YAML syntax error: unclosed quoted string'],
  ['yaml-colon-in-value.yaml', 6, 18, 'rules[0].description', 'Approved:', 'quote a value that contains ": "'],
  ['yaml-bad-indentation.yaml', 6, 7, 'budgets[0].limit', 'window: day', 'indented more than the line above'],
  ['yaml-tab-indentation.yaml', 4, 1, 'rules', '\t- name', 'tabs are not allowed as indentation'],
  ['yaml-duplicate-key.yaml', 7, 5, 'rules[0].allow', 'allow: [claude', 'duplicate key "allow"'],
  ['yaml-unquoted-star-glob.yaml', 7, 9, 'rules[0].deny[0]', '*-preview', '"*-preview" is read as a YAML alias'],
  ['yaml-two-documents.yaml', 4, 1, '', '---', 'more than one YAML document'],
  [
    'empty.yaml',
    1,
    1,
    '',
    '',
    'the policy file is empty (expected a policy document; the smallest valid one is `version: 1`)',
  ],
  ['comments-only.yaml', 1, 1, '', '# Mistake', 'the policy file is empty'],
  ['not-a-map.yaml', 2, 1, '', '- version', 'wrong type: a list (expected a map of keys to values)'],
  // The document
  ['version-2.yaml', 2, 10, 'version', '2', 'unsupported policy format version (expected 1), got 2'],
  ['version-missing.yaml', 2, 1, 'version', 'mode: warn', 'missing required key `version` (expected 1)'],
  ['version-string.yaml', 2, 10, 'version', '"1"', '(expected 1), got "1"'],
  ['top-level-key-typo.yaml', 3, 1, 'budget', 'budget:', 'unknown key "budget"; did you mean `budgets`?'],
  ['mode-typo.yaml', 3, 7, 'mode', 'enforcing', '(expected one of "enforce", "warn", "shadow"), got "enforcing"'],
  ['rules-not-a-list.yaml', 4, 3, 'rules', 'name: approved', 'wrong type: a map (expected a list)'],
  // Rules
  [
    'rule-type-unknown.yaml',
    5,
    11,
    'rules[0].type',
    'models',
    'unknown rule type "models"; did you mean `model`? (expected one of model, provider, region, tokens, cost, attribution, content, rate_limit, time_window, tool, sla)',
  ],
  [
    'rule-type-missing.yaml',
    4,
    5,
    'rules[0].type',
    'name: approved',
    'missing required key `type` (expected one of model, provider,',
  ],
  ['rule-type-key-typo.yaml', 5, 5, 'rules[0].tpye', 'tpye: model', 'unknown key "tpye"; did you mean `type`?'],
  ['rule-name-missing.yaml', 4, 5, 'rules[0].name', 'type: model', 'missing required key `name`'],
  [
    'rule-name-spaces.yaml',
    4,
    11,
    'rules[0].name',
    'approved models',
    'bad format (expected letters, digits and _ . : - only), got "approved models"',
  ],
  ['rule-names-duplicate.yaml', 7, 11, 'rules[1].name', 'models', 'duplicate rule name "models" (also rules[0])'],
  [
    'rule-key-typo.yaml',
    6,
    5,
    'rules[0].alow',
    'alow:',
    'unknown key "alow"; did you mean `allow`? (expected one of the keys name, description, mode, when, type, allow, deny)',
  ],
  ['rule-mode-typo.yaml', 6, 11, 'rules[0].mode', 'shadowed', 'did you mean "shadow"?'],
  [
    'glob-unclosed-bracket.yaml',
    8,
    9,
    'rules[0].allow[1]',
    'gpt-[4o',
    'bad glob: unclosed "[" at position 4 (expected a glob such as "gpt-4o*"',
  ],
  ['glob-unclosed-brace.yaml', 6, 13, 'rules[0].allow[0]', '"claude-{', 'bad glob: unclosed "{"'],
  ['model-allow-empty.yaml', 6, 12, 'rules[0].allow', '[]', 'empty list (expected at least 1 item), got []'],
  ['model-allow-empty-value.yaml', 6, 5, 'rules[0].allow', 'allow:', 'empty value (expected a list), got null'],
  ['model-neither-allow-nor-deny.yaml', 4, 5, 'rules[0]', 'name: approved', 'set at least one of allow, deny'],
  [
    'when-value-number.yaml',
    7,
    13,
    'rules[0].when.team',
    '42',
    'wrong type: a whole number (expected a glob or a list), got 42',
  ],
  ['region-providers-empty.yaml', 7, 16, 'rules[0].providers', '[]', 'empty list'],
  ['tokens-no-max.yaml', 4, 5, 'rules[0]', 'name: token', 'set at least one of maxInput, maxOutput'],
  [
    'tokens-fractional.yaml',
    6,
    16,
    'rules[0].maxOutput',
    '1024.5',
    'not a whole number (expected a whole number), got 1024.5',
  ],
  [
    'cost-string.yaml',
    6,
    17,
    'rules[0].maxPerCall',
    '$0.50',
    'without a currency sign (expected a number), got "$0.50"',
  ],
  ['attribution-require-empty.yaml', 6, 14, 'rules[0].require', '[]', 'empty list (expected at least 1 item)'],
  [
    'content-bad-regex.yaml',
    8,
    16,
    'rules[0].patterns[0].regex',
    '"ORD-',
    'bad regular expression: Invalid regular expression: /ORD-[0-9{6}/: Unterminated character class',
  ],
  ['content-redact-output.yaml', 8, 12, 'rules[0].scope', 'output', 'redaction applies to the request only'],
  ['content-unknown-detector.yaml', 6, 21, 'rules[0].detect[1]', 'ssn]', 'did you mean "us_ssn"?'],
  ['content-bad-flags.yaml', 9, 16, 'rules[0].patterns[0].flags', 'gi', 'bad format'],
  ['rate-limit-no-limit.yaml', 4, 5, 'rules[0].limit', 'name: requests', 'missing required key `limit`'],
  ['rate-limit-fractional.yaml', 6, 12, 'rules[0].limit', '2.5', 'not a whole number'],
  [
    'rate-limit-window-typo.yaml',
    7,
    13,
    'rules[0].window',
    'minutes',
    'did you mean "minute"? (expected "second", "minute", "hour", "day" or a number and a unit',
  ],
  [
    'time-window-bad-time.yaml',
    8,
    15,
    'rules[0].allow[0].from',
    '9am',
    '(expected a time of day as HH:MM (00:00 to 24:00)), got "9am"',
  ],
  ['time-window-hour-25.yaml', 8, 13, 'rules[0].allow[0].to', '"25:00"', 'got "25:00"'],
  ['time-window-unknown-day.yaml', 7, 21, 'rules[0].allow[0].days[1]', 'tues', 'did you mean "tue"?'],
  ['time-window-bad-timezone.yaml', 6, 15, 'rules[0].timezone', 'Europe/Pariss', 'unknown time zone "Europe/Pariss"'],
  ['tool-rule-empty.yaml', 4, 5, 'rules[0]', 'name: agent', 'set at least one of allow, deny, requireApproval'],
  ['sla-negative.yaml', 6, 16, 'rules[0].latencyMs', '-100', 'too small (expected a number > 0), got -100'],
  // Budgets
  [
    'budget-limit-string.yaml',
    5,
    12,
    'budgets[0].limit',
    '"100"',
    'a number in quotes is a string; remove the quotes (expected a number), got "100"',
  ],
  ['budget-limit-negative.yaml', 5, 12, 'budgets[0].limit', '-100', '(expected a number > 0), got -100'],
  ['budget-limit-zero.yaml', 5, 12, 'budgets[0].limit', '0', '(expected a number > 0), got 0'],
  [
    'budget-unit-unknown.yaml',
    6,
    11,
    'budgets[0].unit',
    'EUR',
    '(expected one of "USD", "tokens", "requests"), got "EUR"',
  ],
  [
    'budget-window-unknown.yaml',
    6,
    13,
    'budgets[0].window',
    'fortnight',
    '(expected "day", "week", "month", "total" or a number and a unit: ms, s, m, h, d or w (e.g. "30s", "24h", "7d")), got "fortnight"',
  ],
  ['budget-window-words.yaml', 6, 13, 'budgets[0].window', '24 hours', 'got "24 hours"'],
  [
    'budget-window-missing.yaml',
    4,
    5,
    'budgets[0].window',
    'name: org',
    'missing required key `window` (expected one of "day", "week", "month", "total" or a rolling window',
  ],
  [
    'budget-timezone-unknown.yaml',
    7,
    15,
    'budgets[0].timezone',
    'Mars/',
    'unknown time zone "Mars/Olympus_Mons" (expected an IANA time zone',
  ],
  [
    'budget-downgrade-without-target.yaml',
    4,
    5,
    'budgets[0].downgradeTo',
    'name: customer',
    'a budget with action "downgrade" needs downgradeTo',
  ],
  [
    'budget-downgradeto-with-block.yaml',
    8,
    18,
    'budgets[0].downgradeTo',
    'gpt-4o-mini',
    'downgradeTo only applies to action "downgrade"',
  ],
  ['budget-action-typo.yaml', 7, 13, 'budgets[0].action', 'downgarde', 'did you mean "downgrade"?'],
  ['budget-warnat-over-one.yaml', 7, 19, 'budgets[0].warnAt[1]', '80', 'too large (expected a number <= 1), got 80'],
  ['budget-warnat-zero.yaml', 7, 14, 'budgets[0].warnAt[0]', '0, 0.5', 'too small (expected a number > 0), got 0'],
  ['budget-per-empty.yaml', 7, 10, 'budgets[0].per', '[]', 'empty list'],
  ['budget-names-duplicate.yaml', 7, 11, 'budgets[1].name', 'daily', 'duplicate budget name "daily" (also budgets[0])'],
  ['budget-match-bad-glob.yaml', 8, 16, 'budgets[0].match.project', 'lab]', 'bad glob: unexpected "]" at position 3'],
  // Approvals and alerts
  ['approvals-timeout-words.yaml', 5, 12, 'approvals.timeout', '5 minutes', '"5 minutes" is not a duration'],
  ['approvals-over-negative.yaml', 4, 9, 'approvals.over', '-1', '(expected a number >= 0), got -1'],
  [
    'alerts-webhook-not-url.yaml',
    4,
    12,
    'alerts.webhook',
    'hooks.example',
    'not a URL (expected an http:// or https:// URL',
  ],
  ['alerts-webhook-ftp.yaml', 4, 12, 'alerts.webhook', 'ftp://', 'unsupported URL scheme'],
  // JSON
  ['json-trailing-comma.json', 4, 73, 'rules', ',', 'JSON syntax error: trailing comma before "]"'],
  ['json-comment.json', 3, 3, '', '// approved', 'JSON syntax error: comments are not allowed in JSON'],
  ['json-single-quotes.json', 3, 11, 'mode', "'warn'", 'JSON syntax error: strings must be in double quotes'],
  [
    'json-unquoted-key.json',
    3,
    3,
    '',
    'mode:',
    'JSON syntax error: property name `mode` is not in double quotes (expected "mode")',
  ],
  ['json-missing-comma.json', 3, 3, '', '"mode"', 'JSON syntax error: missing "," before this entry'],
  ['json-unclosed.json', 3, 12, 'rules', '[', 'JSON syntax error: unclosed "["'],
  ['json-duplicate-key.json', 4, 3, 'mode', '"mode": "enforce"', 'duplicate key "mode"'],
  [
    'json-unknown-rule-type.json',
    4,
    42,
    'rules[0].type',
    '"modle"',
    'unknown rule type "modle"; did you mean `model`?',
  ],
  ['json-limit-string.json', 3, 47, 'budgets[0].limit', '"100"', 'remove the quotes'],
  ['json-empty.json', 1, 1, '', '', 'the smallest valid one is `{ "version": 1 }`'],
];

describe('malformed policy files', () => {
  it('has one case per fixture, at least 40, YAML and JSON', () => {
    const files = readdirSync(malformed).sort();
    expect(MALFORMED.map(([file]) => file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(40);
    expect(files.filter((file) => file.endsWith('.json')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(MALFORMED)('%s: line %i, column %i, %s', (file, line, column, path, at, message) => {
    const full = join(malformed, file);
    const error = policyError(() => loadPolicyFileSync(full));
    expect({ file: error.file, line: error.line, column: error.column, path: error.path }).toEqual({
      file: full,
      line,
      column,
      path,
    });
    const first = error.message.split('\n')[0] ?? '';
    expect(first).toContain(message);
    expect(first.startsWith(`${full}:${line}:${column}: ${path ? `${path}: ` : ''}`)).toBe(true);
    // The location points at what the problem is about.
    const source = readFileSync(full, 'utf8').split('\n')[line - 1] ?? '';
    expect(source.slice(column - 1).startsWith(at)).toBe(true);
    // Every problem says what was expected.
    expect(error.expected).toEqual(expect.any(String));
    expect(error.issues[0]).toMatchObject({ path, line, column });
    for (const issue of error.issues) expect(issue.line).toEqual(expect.any(Number));
  });
});

describe('parsePolicy', () => {
  it('reports the example from the design in this exact form', () => {
    const text = [
      'version: 1',
      'rules:',
      '  - name: a',
      '    type: model',
      '    allow: [gpt-4o]',
      '  - name: b',
      '    type: provider',
      '    allow: [openai]',
      '  - name: c',
      '    type: model',
      '    # the next line has a typo',
      '',
      '    allow:',
      '      - gpt-[4o',
    ].join('\n');
    const error = policyError(() => parsePolicy(text, { file: 'genops.policy.yaml' }));
    expect(error.message).toBe(
      'genops.policy.yaml:14:9: rules[2].allow[0]: bad glob: unclosed "[" at position 4 ' +
        '(expected a glob such as "gpt-4o*" or "claude-{sonnet,haiku}-*"), got "gpt-[4o"',
    );
    expect(error).toMatchObject({ line: 14, column: 9, path: 'rules[2].allow[0]', received: 'gpt-[4o' });
    expect(error.name).toBe('PolicyFileError');
  });

  it('is a PolicyFileError, a ConfigError and a GenOpsError', () => {
    const error = policyError(() => parsePolicy('version: 2'));
    expect(PolicyFileError.isInstance(error)).toBe(true);
    expect(ConfigError.isInstance(error)).toBe(true);
    expect(GenOpsError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(ConfigError);
    expect(PolicyFileError.isInstance(new ConfigError({ path: 'x', message: 'bad' }))).toBe(false);
  });

  it('names text without a file "policy"', () => {
    const error = policyError(() => parsePolicy('version: 1\nmode: loud\n'));
    expect(error.message.startsWith('policy:2:7: mode: not an allowed value')).toBe(true);
    expect(error.file).toBeUndefined();
  });

  it('takes the format from the extension, the option, or the text', () => {
    const json = '{ "version": 1, "mode": "warn", }';
    expect(policyError(() => parsePolicy(json)).message).toContain('JSON syntax error: trailing comma');
    expect(policyError(() => parsePolicy(json, { file: 'p.json' })).message).toContain('trailing comma');
    // As YAML, a trailing comma in a flow map is allowed.
    expect(parsePolicy(json, { file: 'p.yaml' }).mode).toBe('warn');
    expect(parsePolicy(json, { file: 'p.json', format: 'yaml' }).mode).toBe('warn');
    expect(parsePolicy('version: 1\nmode: shadow\n', { file: 'policy.conf' }).mode).toBe('shadow');
  });

  it('reads JSON and YAML to the same document', () => {
    const yaml = parsePolicy('version: 1\nrules:\n  - {name: m, type: model, deny: ["*-preview"]}\n');
    const json = parsePolicy('{"version":1,"rules":[{"name":"m","type":"model","deny":["*-preview"]}]}');
    expect(json).toEqual(yaml);
  });

  it('accepts JSON indented with tabs, escapes and a byte order mark', () => {
    const text =
      '\uFEFF{\n\t"version": 1,\n\t"rules": [{"name": "m", "type": "model", "description": "caf\\u00e9 \\/ \\"x\\"", "allow": ["*"]}]\n}';
    expect(parsePolicy(text, { file: 'p.json' }).rules[0]).toMatchObject({ description: 'café / "x"' });
  });

  it('counts lines and columns with CRLF line endings and a byte order mark', () => {
    const text = '\uFEFFversion: 1\r\nbudgets:\r\n  - name: x\r\n    limit: -1\r\n    window: day\r\n';
    const error = policyError(() => parsePolicy(text));
    expect([error.line, error.column, error.path]).toEqual([4, 12, 'budgets[0].limit']);
  });

  it('resolves YAML anchors and aliases', () => {
    const text = [
      'version: 1',
      'rules:',
      '  - name: a',
      '    type: model',
      '    allow: &approved [gpt-4o, "claude-*"]',
      '  - name: b',
      '    type: tool',
      '    allow: *approved',
    ].join('\n');
    expect(parsePolicy(text).rules[1]).toMatchObject({ allow: ['gpt-4o', 'claude-*'] });
  });

  it('refuses aliases that expand exponentially', () => {
    const lines = ['version: 1', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 8; level++)
      lines.push(`a${level}: &a${level} [${Array.from({ length: 10 }, () => `*a${level - 1}`).join(', ')}]`);
    const error = policyError(() => parsePolicy(lines.join('\n')));
    expect(error.message).toContain('cannot expand the YAML aliases');
  });

  it('reports a YAML tag it does not know', () => {
    const error = policyError(() => parsePolicy('version: 1\nmode: !env MODE\n'));
    expect(error).toMatchObject({ line: 2, column: 7, path: 'mode' });
    expect(error.message).toContain('YAML syntax error: unresolved tag: !env');
  });

  it('reports an empty JSON file, or one of whitespace only', () => {
    expect(policyError(() => parsePolicy('  \n', { file: 'p.json' })).message).toBe(
      'p.json:1:1: the policy file is empty (expected a policy document; the smallest valid one is `{ "version": 1 }`)',
    );
  });

  it.each([
    ['{"version": 1} {}', 'unexpected "{" after the end of the document'],
    ['{"version": 01}', 'not a JSON number'],
    ['{"version": NaN}', 'not a JSON number'],
    ['{"version": 1, "mode": "wa\nrn"}', 'unterminated string'],
    ['{"version": 1, "mode": "\\x"}', 'bad escape "\\\\x"'],
    ['{"version": 1, "mode": warn}', 'unexpected word "warn"'],
    ['{"version": 1 /* block */}', 'comments are not allowed in JSON'],
    ['{"version" 1}', 'missing ":" after the property name'],
    ['{"rules": [{"name": "a"} {"name": "b"}], "version": 1}', 'missing "," before this item'],
    ['{"version": 1,', 'unclosed "{"'],
  ])('reports the JSON syntax error in %j', (text, message) => {
    const error = policyError(() => parsePolicy(text, { file: 'p.json' }));
    expect(error.message).toContain(`JSON syntax error: ${message}`);
    expect(error.line).toEqual(expect.any(Number));
  });

  it('lists every problem in issues, in file order, and up to 5 in the message', () => {
    const text = [
      'version: 1',
      'mode: loud',
      'rules:',
      '  - name: a',
      '    type: model',
      '    alow: [x]',
      '  - name: b',
      '    type: cost',
      '    maxPerCall: -1',
      'budgets:',
      '  - name: c',
      '    limit: 0',
      '    window: fortnight',
      '    unit: EUR',
      'alerts:',
      '  webhook: nope',
    ].join('\n');
    const error = policyError(() => parsePolicy(text, { file: 'p.yaml' }));
    expect(error.issues.map((issue) => [issue.line, issue.column, issue.path])).toEqual([
      [2, 7, 'mode'],
      [6, 5, 'rules[0].alow'],
      [4, 5, 'rules[0]'],
      [9, 17, 'rules[1].maxPerCall'],
      [12, 12, 'budgets[0].limit'],
      [13, 13, 'budgets[0].window'],
      [14, 11, 'budgets[0].unit'],
      [16, 12, 'alerts.webhook'],
    ]);
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/^p\.yaml:2:7: mode: /);
    expect(lines[1]).toBe('7 more problems:');
    expect(lines.slice(2, 6).every((line) => line.startsWith('  - p.yaml:'))).toBe(true);
    expect(lines[6]).toBe('  - ... and 3 more (see error.issues)');
    expect(lines).toHaveLength(7);
  });

  it('reports a misspelt key rather than the missing key it stands for', () => {
    const error = policyError(() => parsePolicy('# policy\n$schema: ./s.json\nversoin: 1\n'));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain('policy:3:1: versoin: unknown key "versoin"; did you mean `version`?');
  });
});

describe('parsePolicyObject', () => {
  it('returns the document with defaults', () => {
    expect(parsePolicyObject({ version: 1, rules: [{ name: 'x', type: 'cost', maxPerCall: 1 }] })).toMatchObject({
      mode: 'enforce',
      rules: [{ name: 'x', type: 'cost', maxPerCall: 1 }],
      budgets: [],
    });
  });

  it('names the path, with no line, and the source', () => {
    const error = policyError(() =>
      parsePolicyObject(
        { version: 1, rules: [{ name: 'x', type: 'cost', maxPerCall: 0 }], bugdets: [] },
        'GenOps.init({ policy })',
      ),
    );
    expect(error.message.split('\n')[0]).toBe(
      'GenOps.init({ policy }): bugdets: unknown key "bugdets"; did you mean `budgets`? ' +
        '(expected one of the keys $schema, version, mode, timezone, rules, budgets, approvals, alerts, limits, gateway)',
    );
    expect(error.issues[1]).toEqual({
      path: 'rules[0].maxPerCall',
      message: 'too small',
      expected: 'a number > 0',
      received: { value: 0 },
    });
    expect(error.line).toBeUndefined();
    expect(error.file).toBeUndefined();
  });

  it('defaults the source to "policy"', () => {
    const error = policyError(() => parsePolicyObject(undefined));
    expect(error.message).toBe('policy: wrong type: nothing (expected a map of keys to values)');
  });
});

describe('loading files', () => {
  const directory = mkdtempSync(join(tmpdir(), 'genops-load-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('says a missing file does not exist, and where it looked', async () => {
    const error = await policyErrorAsync(() => loadPolicyFile(join(directory, 'nope.yaml')));
    expect(error.message).toBe(
      `${join(directory, 'nope.yaml')}: cannot read the policy file: no such file (looked for ${resolve(directory, 'nope.yaml')}) ` +
        '(expected the path of a YAML or JSON policy file; create the file or fix the path (relative paths start at the working directory))',
    );
    expect(error.file).toBe(join(directory, 'nope.yaml'));
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(policyError(() => loadPolicyFileSync(join(directory, 'nope.yaml'))).message).toBe(error.message);
  });

  it('says a directory is not a file', async () => {
    const error = await policyErrorAsync(() => loadPolicyFile(directory));
    expect(error.message).toContain(`cannot read the policy file: ${directory} is a directory`);
  });

  it('names a relative file as given', () => {
    const file = join(directory, 'p.yml');
    writeFileSync(file, 'version: 1\nmode: loud\n');
    const relativePath = relative(process.cwd(), file);
    expect(policyError(() => loadPolicyFileSync(relativePath)).message.startsWith(`${relativePath}:2:7:`)).toBe(true);
  });
});

describe('suggestions', () => {
  it.each([
    ['alow', 'allow', 1],
    ['budget', 'budgets', 1],
    ['tpye', 'type', 1],
    ['downgarde', 'downgrade', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('levenshtein(%j, %j) = %i', (a, b, distance) => {
    expect(levenshtein(a, b)).toBe(distance);
  });

  it('suggests the closest candidate within 2 edits, else the only one that contains the word', () => {
    expect(closestMatch('alow', ['allow', 'deny'])).toBe('allow');
    expect(closestMatch('maxoutput', ['maxInput', 'maxOutput'])).toBe('maxOutput');
    expect(closestMatch('zzz', ['allow', 'deny'])).toBeUndefined();
    expect(closestMatch('ssn', ['email', 'us_ssn'])).toBe('us_ssn');
    expect(closestMatch('a', ['b'])).toBeUndefined();
  });
});
