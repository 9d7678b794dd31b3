import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { findExecutable, findOrInstallDebianPackage } from '@genops/testing';
import { afterAll, beforeAll } from 'vitest';

/**
 * A real `redis-server` for the tests of one file, started on 127.0.0.1 and a free port and stopped
 * when the file's tests end: nothing depends on a server left running by hand. When no `redis-server`
 * is installed it is installed with apt (as root), or the tests fail saying how to install it.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, or `rediss://...` for a TLS server. */
  readonly url: string;
  /** PEM of the CA that signed a TLS server's certificate. */
  readonly ca?: string;
  /** Stops the server gracefully (SIGTERM). */
  stop(): Promise<void>;
  /** Kills the server the hard way (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (and the same data directory when persistent). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /**
   * Keep the data across restarts: an append-only file fsynced on every write (`--appendonly yes
   * --appendfsync always`) in a temporary directory. Default: no persistence at all.
   */
  persistent?: boolean;
  /**
   * Run as a one-node Redis Cluster (`--cluster-enabled yes`, every slot assigned to it), so scripts
   * are held to cluster rules. Default `false`.
   */
  cluster?: boolean;
  /**
   * Serve TLS only (`rediss://`), with a certificate for 127.0.0.1 made by `openssl` for this server
   * (its CA is {@link RedisServer.ca}). Default `false`.
   */
  tls?: boolean;
  /**
   * Refuse `FUNCTION` (`--rename-command FUNCTION ""`), as a proxy or an ACL that does not allow it, or a
   * Redis before 7, would: the store then runs its group commit as a script (EVALSHA). Default `false`.
   */
  noFunctions?: boolean;
}

/** Seconds a `beforeAll` that may install redis-server with apt is allowed to take. */
export const INSTALL_TIMEOUT_MS = 300_000;

/** Starts a server in `beforeAll` and stops it in `afterAll`; `url()` is valid inside tests. */
export function useRedisServer(options: RedisServerOptions = {}): { url: () => string; server: () => RedisServer } {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedisServer(options);
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });
  const current = (): RedisServer => {
    if (!server) throw new Error('the test Redis server is not running (used outside a test?)');
    return server;
  };
  return { url: () => current().url, server: current };
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findOrInstallRedisServer();
  const dir =
    options.persistent || options.cluster || options.tls ? mkdtempSync(join(tmpdir(), 'genops-redis-')) : undefined;
  const ca = options.tls && dir ? makeCertificates(dir) : undefined;
  let port = 0;
  let child: ChildProcess | undefined;
  const args = (): string[] => [
    ...(options.tls && dir
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          join(dir, 'server.crt'),
          '--tls-key-file',
          join(dir, 'server.key'),
          '--tls-ca-cert-file',
          join(dir, 'ca.crt'),
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--daemonize',
    'no',
    '--logfile',
    '',
    ...(options.persistent && dir
      ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
    ...(options.cluster && dir
      ? [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          // Otherwise the node announces an empty address, which clients resolve to localhost (maybe ::1).
          '--cluster-announce-ip',
          '127.0.0.1',
        ]
      : []),
    ...(options.noFunctions ? ['--rename-command', 'FUNCTION', ''] : []),
  ];
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const launch = async (): Promise<void> => {
    const started = spawn(binary, args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-4_000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) => {
      started.once('exit', (code, signal) =>
        reject(new Error(`redis-server exited (${signal ?? code}) while starting on port ${port}:\n${output}`)),
      );
      started.once('error', reject);
    });
    exited.catch(() => {});
    await Promise.race([waitForPing(port, 10_000, ca), exited]);
    if (options.cluster) await Promise.race([assignAllSlots(port), exited]);
  };

  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      child?.kill('SIGKILL');
      // Another process may have taken the port between our check and the server's bind: try another.
      if (attempt >= 5) throw error;
    }
  }

  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  return {
    port,
    url: `${ca ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    ...(ca ? { ca } : {}),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await launch();
    },
    stop: async () => {
      await halt('SIGTERM');
      process.off('exit', killOnExit);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `redis-server` from `REDIS_SERVER_BIN`, PATH, /usr/bin, /usr/sbin or /usr/local/bin; installed with apt when missing. */
export function findOrInstallRedisServer(): string {
  return findOrInstallDebianPackage({
    package: 'redis-server',
    find: () => findExecutable('redis-server', process.env.REDIS_SERVER_BIN) ?? findExecutable('redis-server'),
    otherwise: 'point REDIS_SERVER_BIN at the binary (macOS: `brew install redis`)',
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Makes a cluster-enabled server a one-node cluster owning every slot, and waits for `cluster_state:ok`. */
async function assignAllSlots(port: number): Promise<void> {
  const info = await command(port, 'CLUSTER INFO');
  if (!info.includes('cluster_slots_assigned:16384')) {
    const reply = await command(port, 'CLUSTER ADDSLOTSRANGE 0 16383');
    if (!reply.startsWith('+OK')) throw new Error(`CLUSTER ADDSLOTSRANGE failed: ${reply}`);
  }
  const deadline = Date.now() + 10_000;
  while (!(await command(port, 'CLUSTER INFO')).includes('cluster_state:ok')) {
    if (Date.now() > deadline) throw new Error(`the one-node cluster on port ${port} did not reach cluster_state:ok`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Sends one inline command and resolves with the raw reply (enough for status and bulk replies). */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(2_000, () => {
      socket.destroy();
      reject(new Error(`no reply to ${line}`));
    });
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      const complete = bulk ? reply.length >= bulk[0].length + Number(bulk[1]) + 2 : reply.includes('\r\n');
      if (complete) {
        socket.destroy();
        resolve(reply);
      }
    });
  });
}

/** A CA and a server certificate for 127.0.0.1 signed by it, in `dir`; returns the CA's PEM. */
function makeCertificates(dir: string): string {
  if (!findExecutable('openssl')) throw new Error('openssl is needed to make the TLS test certificates');
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=genops test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  return readFileSync(join(dir, 'ca.crt'), 'utf8');
}

/** Whether `openssl` is installed (the TLS tests need it to make certificates). */
export function hasOpenssl(): boolean {
  return findExecutable('openssl') !== undefined;
}

/** Resolves once the server answers PING with PONG. */
async function waitForPing(port: number, timeoutMs: number, ca?: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port, ca)) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function ping(port: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = ca
      ? tlsConnect({ host: '127.0.0.1', port, ca, servername: undefined })
      : createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once(ca ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
