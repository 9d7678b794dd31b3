// A benchmark process that does its part and reports once: started with fork() and one JSON argument,
// it sends one message (its result) and exits 0.
import { fork } from 'node:child_process';

/** Runs `script` with `settings`; resolves with the message it sent, rejects unless it exited 0 after one. */
export function runForResult(script, settings, what) {
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    child.once('message', (message) => {
      result = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && result) resolve(result);
      else reject(new Error(`${what} exited with code ${code}`));
    });
  });
}
