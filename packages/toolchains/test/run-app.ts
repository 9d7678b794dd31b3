// Shared set-up of the toolchain tests: the fake OpenAI server, a temporary directory, and running a
// built app in a child process (bounded) to read the RESULT line it prints.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FakeOpenAIServer, startFakeOpenAI } from '@genops/testing';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const fixtures = join(packageDir, 'fixtures');

export interface AppResult {
  running: boolean;
  outcome: string;
  adapters?: string[];
  governed?: boolean;
  ungoverned?: Array<string | undefined>;
}

export interface AppRun {
  result: AppResult;
  stderr: string;
  /** Models of the chat requests that reached the fake server during the run. */
  reached: string[];
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `genops-${prefix}-`));
}

/** Starts the fake server; `run()` runs a command with FAKE_OPENAI_URL set and returns what it printed. */
export async function startAppRunner(): Promise<{
  server: FakeOpenAIServer;
  run(
    command: string,
    args: readonly string[],
    options?: { cwd?: string; env?: Record<string, string> },
  ): Promise<AppRun>;
}> {
  const server = await startFakeOpenAI();
  return {
    server,
    run(command, args, options = {}) {
      const before = server.requests.length;
      // No NODE_PATH (pnpm sets one for scripts): a deployed app resolves only what is next to it.
      const { NODE_PATH: _ignored, NODE_OPTIONS: _options, ...env } = process.env;
      return new Promise((resolve, reject) => {
        execFile(
          command,
          [...args],
          {
            cwd: options.cwd ?? packageDir,
            env: { ...env, FAKE_OPENAI_URL: server.url, ...options.env },
            timeout: 60_000,
            maxBuffer: 8 * 1024 * 1024,
          },
          (error, stdout, stderr) => {
            const line = stdout.split('\n').find((text) => text.startsWith('RESULT '));
            if (!line) {
              reject(new Error(`no RESULT line (${error?.message ?? 'exit 0'})\nstdout: ${stdout}\nstderr: ${stderr}`));
              return;
            }
            const reached = server.requests
              .slice(before)
              .map((request) => (request.body as { model?: string } | undefined)?.model ?? '?');
            resolve({ result: JSON.parse(line.slice('RESULT '.length)) as AppResult, stderr, reached });
          },
        );
      });
    },
  };
}
