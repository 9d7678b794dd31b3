import { getEventListeners } from 'node:events';
import { errorLine } from './errors';
import { run } from './run';

// Ctrl-C: a command that watches the signal (`audit tail --follow`) stops cleanly and exits 0; any other
// command ends at once, as Ctrl-C normally does.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted || getEventListeners(interrupt.signal, 'abort').length === 0) process.exit(130);
  interrupt.abort();
});
// SIGTERM (Kubernetes, systemd): the same for a command that watches the signal (`genops gateway` drains).
process.on('SIGTERM', () => {
  if (interrupt.signal.aborted || getEventListeners(interrupt.signal, 'abort').length === 0) process.exit(143);
  interrupt.abort();
});

// Output piped into a command that stops reading (`genops audit tail ... | head`) is not an error.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // run() reports every error itself; this is a last resort.
    process.stderr.write(`${errorLine(`unexpected: ${(error as Error)?.stack ?? String(error)}`)}\n`);
    process.exitCode = 1;
  },
);
