import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Certificates made with the machine's openssl, as an operator makes them for a Temporal
// cluster: a CA, a server certificate for the frontend and a client certificate for mTLS,
// plus a second, unrelated CA for what a wrong trust setting does.

export interface TestCertificates {
  dir: string;
  /** The name in the server certificate (and the one a TLS client must check it against). */
  serverName: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed none of the above. */
  otherCa: string;
  otherCaKey: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function key(dir: string, name: string): string {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
  return path.join(dir, name);
}

function selfSignedCa(dir: string, name: string, subject: string): { cert: string; key: string } {
  const caKey = key(dir, `${name}.key`);
  openssl(dir, [
    'req', '-x509', '-new', '-key', caKey, '-subj', subject, '-days', '2', '-out', `${name}.pem`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  return { cert: path.join(dir, `${name}.pem`), key: caKey };
}

function signed(
  dir: string,
  ca: { cert: string; key: string },
  name: string,
  subject: string,
  extensions: string,
): { cert: string; key: string } {
  const ownKey = key(dir, `${name}.key`);
  openssl(dir, ['req', '-new', '-key', ownKey, '-subj', subject, '-out', `${name}.csr`]);
  writeFileSync(path.join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial',
    '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]); // prettier-ignore
  return { cert: path.join(dir, `${name}.pem`), key: ownKey };
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
  const serverName = 'temporal.reminders.test';
  const ca = selfSignedCa(dir, 'ca', '/CN=Reminders test CA');
  const server = signed(
    dir,
    ca,
    'server',
    `/CN=${serverName}`,
    `subjectAltName=DNS:${serverName}\nextendedKeyUsage=serverAuth\n`,
  );
  const client = signed(dir, ca, 'client', '/CN=reminders-worker', 'extendedKeyUsage=clientAuth\n');
  const other = selfSignedCa(dir, 'other-ca', '/CN=Some other CA');
  return {
    dir,
    serverName,
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCa: other.cert,
    otherCaKey: other.key,
  };
}
