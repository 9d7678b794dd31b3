// Starting the processes of the gateway benchmarks (gateway-overhead.mjs, gateway-breakdown.mjs): a
// gateway process (./genops-gateway-process.mjs, ./bare-proxy-process.mjs, ./portkey-process.mjs) or the
// fake upstream (../../lib/fake-openai-process.mjs), each of which sends `{ url }` once it listens.
import { fork } from 'node:child_process';

/**
 * Forks `script` and resolves once it sent `{ url }`. The handle asks it for `{ stats }` (a gateway) or
 * a `reset` (the fake upstream), and stops it by disconnecting: each of these processes exits when its
 * parent disconnects.
 */
export async function startProcess(script, args = [], execArgv = []) {
  const child = fork(script, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (!message?.url) return;
      child.off('message', onMessage);
      resolve(message.url);
    };
    child.on('message', onMessage);
    exited.then((code) => reject(new Error(`${script} exited with ${code} before it listened`)));
  });
  /** Sends `request` and resolves with the first message `isReply` accepts. */
  const ask = (request, isReply) =>
    new Promise((resolve) => {
      const onMessage = (message) => {
        if (!isReply(message)) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      child.send(request);
    });
  return {
    url,
    /** The process id (to attach `strace` to, say). */
    pid: child.pid,
    stats: async () => (await ask('stats', (message) => message?.stats !== undefined)).stats,
    // The fake upstream's answer to `reset` (../../lib/fake-openai-process.mjs).
    reset: () => ask('reset', (message) => message === 'reset-done'),
    stop: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
