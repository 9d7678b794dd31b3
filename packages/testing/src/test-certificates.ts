// Test certificates made with `openssl` at set-up: a certificate authority, a server certificate for
// 127.0.0.1 and a client certificate, both signed by the CA. A child process trusts the server with
// `NODE_EXTRA_CA_CERTS=<caFile>`; a server that requires client certificates checks them against `ca`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  /** The directory holding the PEM files below (removed by `remove()`). */
  directory: string;
  /** The CA certificate (PEM) and its file. */
  ca: string;
  caFile: string;
  /** The server's certificate (subjectAltName IP:127.0.0.1 and DNS:localhost) and key. */
  serverCert: string;
  serverKey: string;
  /** The client certificate (extendedKeyUsage clientAuth) and key, and their files. */
  clientCert: string;
  clientKey: string;
  clientCertFile: string;
  clientKeyFile: string;
  remove(): void;
}

/**
 * Runs `openssl` in `cwd` with the arguments of `command`, split at spaces (none of the arguments here has one);
 * a missing `openssl` is reported as what to install.
 */
function openssl(cwd: string, command: string): void {
  try {
    execFileSync('openssl', command.split(' '), { cwd, stdio: 'pipe' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('test certificates need the `openssl` command on PATH (Debian: apt-get install openssl)');
    throw error;
  }
}

/** Makes a fresh CA, server and client certificate (P-256 keys, valid one day) in a temporary directory. */
export function createTestCertificates(): TestCertificates {
  const directory = mkdtempSync(join(tmpdir(), 'genops-test-certs-'));
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  openssl(directory, `req -x509 ${ec} -days 1 -subj /CN=GenOps-test-CA -keyout ca.key -out ca.crt`);
  const leaves = [
    {
      name: 'server',
      subject: '/CN=127.0.0.1',
      ext: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth',
    },
    { name: 'client', subject: '/CN=genops-test-client', ext: 'extendedKeyUsage=clientAuth' },
  ];
  for (const { name, subject, ext } of leaves) {
    openssl(directory, `req ${ec} -subj ${subject} -keyout ${name}.key -out ${name}.csr`);
    writeFileSync(join(directory, `${name}.ext`), `${ext}\n`);
    openssl(
      directory,
      `x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ${name}.ext -out ${name}.crt`,
    );
  }
  const read = (file: string) => readFileSync(join(directory, file), 'utf8');
  return {
    directory,
    ca: read('ca.crt'),
    caFile: join(directory, 'ca.crt'),
    serverCert: read('server.crt'),
    serverKey: read('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    clientCertFile: join(directory, 'client.crt'),
    clientKeyFile: join(directory, 'client.key'),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}
