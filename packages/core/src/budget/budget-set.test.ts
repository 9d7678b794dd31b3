import { describe, expect, it } from 'vitest';
import { compileBudget, lineFor, linesFor } from './budget-set';

const amounts = { nanos: 1_000, tokens: 10 };
const DAY_1 = Date.UTC(2026, 11, 6, 12);
const DAY_2 = Date.UTC(2026, 11, 7, 12);

describe('lineFor keys', () => {
  it('keys each team and each period apart when calls alternate between them', () => {
    const budget = compileBudget({ name: 'per-team', limit: 10, window: 'day', per: ['team', 'project'] });
    const subject = (team: string | undefined, project: string) => ({
      team,
      project,
      provider: 'openai',
      model: 'gpt-4o',
    });
    expect(lineFor(budget, subject('eng', 'bot'), amounts, DAY_1).key).toBe('per-team|team=eng,project=bot|2026-12-06');
    expect(lineFor(budget, subject('ops', 'bot'), amounts, DAY_1).key).toBe('per-team|team=ops,project=bot|2026-12-06');
    expect(lineFor(budget, subject('ops', 'web'), amounts, DAY_1).key).toBe('per-team|team=ops,project=web|2026-12-06');
    expect(lineFor(budget, subject('ops', 'web'), amounts, DAY_2).key).toBe('per-team|team=ops,project=web|2026-12-07');
    expect(lineFor(budget, subject(undefined, 'web'), amounts, DAY_2).key).toBe(
      'per-team|team=(none),project=web|2026-12-07',
    );
    expect(lineFor(budget, subject('a b/c', 'web'), amounts, DAY_2).key).toBe(
      'per-team|team=a%20b%2Fc,project=web|2026-12-07',
    );
    expect(lineFor(budget, subject('eng', 'bot'), amounts, DAY_1).key).toBe('per-team|team=eng,project=bot|2026-12-06');
  });

  it('keys a budget without per dimensions by its period alone', () => {
    const budget = compileBudget({ name: 'daily', limit: 10, window: 'day' });
    const subject = { team: 'eng', provider: 'openai', model: 'gpt-4o' };
    expect(lineFor(budget, subject, amounts, DAY_1).key).toBe('daily||2026-12-06');
    expect(lineFor(budget, { ...subject, team: 'ops' }, amounts, DAY_1).key).toBe('daily||2026-12-06');
    expect(lineFor(budget, subject, amounts, DAY_2).key).toBe('daily||2026-12-07');
  });
});

describe('linesFor reuse', () => {
  const budgets = [
    compileBudget({ name: 'daily', limit: 10, window: 'day' }),
    compileBudget({ name: 'per-team', limit: 10, window: 'day', per: 'team', match: { team: 'eng' } }),
    compileBudget({ name: 'rolling', limit: 10, window: '1h' }),
  ];
  const END_OF_DAY_1 = Date.UTC(2026, 11, 7);

  it('gives a frozen subject, the same amounts and a time in the same periods the same lines, and new ones otherwise', () => {
    const subject = Object.freeze({ team: 'eng', provider: 'openai', model: 'gpt-4o' });
    const first = linesFor(budgets, subject, amounts, DAY_1);
    expect(first.map((line) => line.key)).toEqual([
      'daily||2026-12-06',
      'per-team|team=eng|2026-12-06',
      'rolling||rolling',
    ]);
    expect(Object.isFrozen(first) && first.every((line) => Object.isFrozen(line))).toBe(true);
    expect(linesFor(budgets, subject, amounts, END_OF_DAY_1 - 1)).toBe(first);
    // Another period, other amounts, another subject (even an equal one): built again, never stale.
    const nextDay = linesFor(budgets, subject, amounts, END_OF_DAY_1);
    expect(nextDay).not.toBe(first);
    expect(nextDay[0]!.key).toBe('daily||2026-12-07');
    expect(linesFor(budgets, subject, amounts, DAY_1)[0]!.key).toBe('daily||2026-12-06');
    expect(linesFor(budgets, subject, { nanos: 2_000, tokens: 10 }, DAY_1).map((line) => line.amount)).toEqual([
      2_000, 2_000, 2_000,
    ]);
    const ops = Object.freeze({ team: 'ops', provider: 'openai', model: 'gpt-4o' });
    expect(linesFor(budgets, ops, amounts, DAY_1).map((line) => line.budget)).toEqual(['daily', 'rolling']);
  });

  it('builds new, unfrozen lines for a subject that can still change', () => {
    const subject = { team: 'eng', provider: 'openai', model: 'gpt-4o' };
    const first = linesFor(budgets, subject, amounts, DAY_1);
    expect(Object.isFrozen(first)).toBe(false);
    subject.team = 'ops';
    expect(linesFor(budgets, subject, amounts, DAY_1).map((line) => line.budget)).toEqual(['daily', 'rolling']);
  });

  it('keeps the lines of each frozen subject while subjects interleave, each built again when its own facts move', () => {
    const subjects = ['eng', 'ops', 'web'].map((team) => Object.freeze({ team, provider: 'openai', model: 'gpt-4o' }));
    const round = () => subjects.map((subject) => linesFor(budgets, subject, amounts, DAY_1));
    const first = round();
    expect(first.map((lines) => lines.map((line) => line.key))).toEqual([
      ['daily||2026-12-06', 'per-team|team=eng|2026-12-06', 'rolling||rolling'],
      ['daily||2026-12-06', 'rolling||rolling'],
      ['daily||2026-12-06', 'rolling||rolling'],
    ]);
    const second = round();
    for (const [index, lines] of second.entries()) expect(lines).toBe(first[index]);
    // Other amounts or another day for one subject: its lines built again; the others' kept.
    const more = linesFor(budgets, subjects[0]!, { nanos: 2_000, tokens: 10 }, DAY_1);
    expect(more.map((line) => line.amount)).toEqual([2_000, 2_000, 2_000]);
    expect(linesFor(budgets, subjects[1]!, amounts, DAY_1)).toBe(first[1]);
    const nextDay = linesFor(budgets, subjects[2]!, amounts, DAY_2);
    expect(nextDay.map((line) => line.key)).toEqual(['daily||2026-12-07', 'rolling||rolling']);
    expect(linesFor(budgets, subjects[1]!, amounts, DAY_1)).toBe(first[1]);
    // A subject that can still change, between frozen ones: new unfrozen lines that follow it.
    const open = { team: 'eng', provider: 'openai', model: 'gpt-4o' };
    const openLines = linesFor(budgets, open, amounts, DAY_1);
    expect(Object.isFrozen(openLines)).toBe(false);
    expect(linesFor(budgets, subjects[1]!, amounts, DAY_1)).toBe(first[1]);
    open.team = 'ops';
    const changed = linesFor(budgets, open, amounts, DAY_1);
    expect(changed).not.toBe(openLines);
    expect(changed.map((line) => line.budget)).toEqual(['daily', 'rolling']);
  });
});
