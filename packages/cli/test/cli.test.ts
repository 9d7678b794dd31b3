import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, fixture, runCli } from './helpers';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

beforeAll(assertBuilt);

describe('genops (help, version, usage errors, colours)', () => {
  it('prints its version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });

  it('lists the command groups with --help', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: genops [options] [command]');
    expect(result.stdout).toMatch(/\n {2}policy\s+check a policy file/);
    expect(result.stdout).toMatch(/\n {2}audit\s+verify and read/);
    expect(result.stdout).toMatch(/\n {2}status \[options\]\s+budget usage per team/);
    expect(result.stdout).toMatch(/\n {2}watch \[options\]\s+the status table, redrawn/);
    expect(result.stdout).toMatch(/\n {2}approvals\s+list, approve and deny/);
    expect(result.stdout).toMatch(/\n {2}pricing\s+the bundled price data/);
    expect(result.stdout).toContain('Store: --store <url>, else GENOPS_STORE, else sqlite:./.genops/state.db.');
    expect(result.stdout).toContain('Exit codes: 0 success, 1 the check found problems');
  });

  it.each([
    ['policy', ['validate', 'explain']],
    ['audit', ['verify', 'tail']],
    ['approvals', ['list', 'approve', 'deny']],
    ['pricing', ['show']],
  ])('lists the commands of a group with `genops %s --help`', async (group, commands) => {
    const result = await runCli([group, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: genops ${group} [options] [command]`);
    for (const command of commands) expect(result.stdout).toMatch(new RegExp(`\\n {2}${command} `));
  });

  it.each([
    ['status', ['--store <url>', '--policy <file>', '--json']],
    ['watch', ['--store <url>', '--interval <duration>', '--policy <file>']],
  ])('shows the options of `genops %s`', async (command, options) => {
    const result = await runCli([command, '--help']);
    expect(result.code).toBe(0);
    for (const option of options) expect(result.stdout).toContain(option);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('(default: $GENOPS_STORE, else sqlite:./.genops/state.db)');
  });

  it('shows the options of a command', async () => {
    const result = await runCli(['policy', 'explain', '--help']);
    expect(result.code).toBe(0);
    for (const option of [
      '--model <id>',
      '--provider <name>',
      '--attr <key=value>',
      '--prompt-file <file>',
      '--at <time>',
      '--json',
    ])
      expect(result.stdout).toContain(option);
  });

  it('exits 2 with the help for an unknown command', async () => {
    const result = await runCli(['bogus']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("genops: error: unknown command 'bogus'");
    expect(result.stderr).toContain('Usage: genops [options] [command]');
  });

  it('exits 2 with the group help for an unknown subcommand, suggesting the closest', async () => {
    const result = await runCli(['policy', 'valdate', fixture('genops.policy.yaml')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("genops: error: unknown command 'valdate'");
    expect(result.stderr).toContain('(Did you mean validate?)');
  });

  it('exits 2 and shows the help when no command is given', async () => {
    const result = await runCli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: genops [options] [command]');
  });

  it('exits 2 for an unknown option', async () => {
    const result = await runCli(['audit', 'verify', '--fiel', 'x.jsonl']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("genops: error: unknown option '--fiel'");
  });

  it('writes no colour codes to a pipe, and colours with FORCE_COLOR unless NO_COLOR is set', async () => {
    const args = ['policy', 'validate', fixture('genops.policy.yaml')];
    expect((await runCli(args)).stdout).not.toContain('\u001b[');
    const forced = await runCli(args, { FORCE_COLOR: '1' });
    expect(forced.stdout).toContain('\u001b[32m✔\u001b[39m');
    expect((await runCli(args, { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout).not.toContain('\u001b[');
  });
});
