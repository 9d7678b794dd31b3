import { describe, expect, it } from 'vitest';
import { compileBudget, lineFor } from './budget-set';

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
