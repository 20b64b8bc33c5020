import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

// How every process reaches Temporal: plain TCP to a local dev server, mTLS to a cluster of
// one's own, or an API key over TLS to Temporal Cloud. The settings are read and checked here
// once, at start (files included), and turned into connection options here, for the client
// (@temporalio/client Connection) and the worker (@temporalio/worker NativeConnection) alike.

/** TLS to the Temporal frontend, as the SDK's `tls` option takes it. */
export interface TemporalTls {
  /** TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY (PEM): the client certificate for mTLS; null: none is offered. */
  clientCertPair: { crt: Buffer; key: Buffer } | null;
  /** TEMPORAL_TLS_CA (PEM, one or more): trusted for the server's certificate; null: the system's roots. */
  serverRootCACertificate: Buffer | null;
  /** TEMPORAL_TLS_SERVER_NAME: the name the server's certificate is checked against; null: the address's host. */
  serverNameOverride: string | null;
}

export interface TemporalAccess {
  /** null: plain TCP. */
  tls: TemporalTls | null;
  /** TEMPORAL_API_KEY: sent as `authorization: Bearer <key>` on every call (Temporal Cloud); implies TLS. */
  apiKey: string | null;
}

/** The settings as Config['temporal'] holds them (absent in hand-built configs: plain TCP). */
type TemporalAccessSettings = { tls?: TemporalTls | null; apiKey?: string | null };

type Env = Record<string, string | undefined>;

/** The variables readTemporalAccess reads (with TEMPORAL_ADDRESS, which config/index.ts owns). */
export const TEMPORAL_ACCESS_VARIABLES = [
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_API_KEY',
] as const;

const setting = (
  env: Env,
  name: (typeof TEMPORAL_ACCESS_VARIABLES)[number] | 'TEMPORAL_ADDRESS',
): string | undefined => {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
};

/** The PEM blocks of one kind in a file; the SDK reads PEM only, so DER is refused here, not at the handshake. */
const pemBlocks = (text: string, label: RegExp): string[] =>
  [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)]
    .filter((match) => label.test(match[1] ?? ''))
    .map((match) => match[0]);

/** An error's message; not `instanceof Error`, which fails for errors made in another realm (node's own, under jest). */
const reasonOf = (err: unknown): string => String((err as { message?: unknown } | null)?.message ?? err);

function readText(path: string, problem: (line: string) => void): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    // fs errors name the path again (", open '<path>'"); once is enough.
    const reason = reasonOf(err).replace(/, \w+ '.*'$/, '');
    problem(`cannot read ${path} (${reason})`);
    return null;
  }
}

function certificates(
  path: string,
  problem: (line: string) => void,
  now: Date,
): { pem: Buffer; parsed: X509Certificate[] } | null {
  const text = readText(path, problem);
  if (text === null) return null;
  const blocks = pemBlocks(text, /^CERTIFICATE$/);
  if (blocks.length === 0) {
    problem(`${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
    return null;
  }
  const parsed: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      parsed.push(new X509Certificate(block));
    } catch (err) {
      problem(`${path} holds a certificate that does not parse: ${reasonOf(err)}`);
      return null;
    }
  }
  // An expired certificate fails every handshake with an error that names neither file nor date.
  for (const cert of parsed) {
    const subject = cert.subject.replace(/\n/g, ', ');
    if (now > new Date(cert.validTo)) {
      problem(`${path}: the certificate for ${subject} expired on ${cert.validTo}`);
      return null;
    }
    if (now < new Date(cert.validFrom)) {
      problem(`${path}: the certificate for ${subject} is not valid before ${cert.validFrom}`);
      return null;
    }
  }
  return { pem: Buffer.from(text), parsed };
}

function privateKey(path: string, problem: (line: string) => void): { pem: Buffer; parsed: KeyObject } | null {
  const text = readText(path, problem);
  if (text === null) return null;
  const [block] = pemBlocks(text, /PRIVATE KEY$/);
  if (!block) {
    problem(`${path} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`);
    return null;
  }
  if (/ENCRYPTED/.test(block)) {
    problem(
      `${path} holds an encrypted key; the Temporal SDK needs it unencrypted (openssl pkey -in <file> -out <new file>)`,
    );
    return null;
  }
  try {
    return { pem: Buffer.from(text), parsed: createPrivateKey(block) };
  } catch (err) {
    problem(`${path} holds a private key that does not parse: ${reasonOf(err)}`);
    return null;
  }
}

/**
 * Reads and checks TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_CA, TEMPORAL_TLS_SERVER_NAME
 * and TEMPORAL_API_KEY: every problem is a line `NAME: what is wrong`.
 *
 * TLS is on when a client certificate, a CA or an API key is set (Temporal Cloud takes API keys
 * over TLS only); a CA alone verifies the server without offering a client certificate.
 */
export function readTemporalAccess(env: Env, now = new Date()): { access: TemporalAccess; problems: string[] } {
  const problems: string[] = [];
  const problemOf = (name: string) => (line: string) => problems.push(`${name}: ${line}`);
  const certPath = setting(env, 'TEMPORAL_TLS_CERT');
  const keyPath = setting(env, 'TEMPORAL_TLS_KEY');
  const caPath = setting(env, 'TEMPORAL_TLS_CA');
  const serverName = setting(env, 'TEMPORAL_TLS_SERVER_NAME');
  const apiKey = setting(env, 'TEMPORAL_API_KEY');

  if (certPath && !keyPath)
    problems.push('TEMPORAL_TLS_KEY: must be set with TEMPORAL_TLS_CERT (the key of the client certificate)');
  if (keyPath && !certPath)
    problems.push('TEMPORAL_TLS_CERT: must be set with TEMPORAL_TLS_KEY (the certificate of that key)');
  const cert = certPath ? certificates(certPath, problemOf('TEMPORAL_TLS_CERT'), now) : null;
  const key = keyPath ? privateKey(keyPath, problemOf('TEMPORAL_TLS_KEY')) : null;
  if (cert?.parsed[0] && key && !cert.parsed[0].checkPrivateKey(key.parsed)) {
    problems.push(`TEMPORAL_TLS_KEY: ${keyPath} is not the key of the certificate in ${certPath}`);
  }
  const ca = caPath ? certificates(caPath, problemOf('TEMPORAL_TLS_CA'), now) : null;
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
    problems.push(
      'TEMPORAL_API_KEY: must be one line of printable characters without spaces (it travels in an HTTP header)',
    );
  }

  const tlsWanted = Boolean(certPath || keyPath || caPath || apiKey);
  if (serverName !== undefined) {
    if (!tlsWanted)
      problems.push(
        'TEMPORAL_TLS_SERVER_NAME: applies to TLS only: set TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or TEMPORAL_API_KEY',
      );
    else if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(serverName))
      problems.push('TEMPORAL_TLS_SERVER_NAME: must be a DNS name, e.g. temporal.example.com');
  }
  if (tlsWanted && !setting(env, 'TEMPORAL_ADDRESS')) {
    problems.push(
      'TEMPORAL_ADDRESS: must be set with TEMPORAL_TLS_* or TEMPORAL_API_KEY (unset, a local dev server without TLS is used)',
    );
  }

  const tls: TemporalTls | null = tlsWanted
    ? {
        clientCertPair: cert && key ? { crt: cert.pem, key: key.pem } : null,
        serverRootCACertificate: ca?.pem ?? null,
        serverNameOverride: serverName ?? null,
      }
    : null;
  return problems.length > 0
    ? { access: { tls: null, apiKey: null }, problems }
    : { access: { tls, apiKey: apiKey ?? null }, problems };
}

/**
 * Options for `Connection.connect` (client) and `NativeConnection.connect` (worker): the one
 * place TLS and the API key reach the SDK, so no process connects differently from another.
 */
export function temporalConnectionOptions(
  access: TemporalAccessSettings,
  address: string,
): {
  address: string;
  tls?: {
    clientCertPair?: { crt: Buffer; key: Buffer };
    serverRootCACertificate?: Buffer;
    serverNameOverride?: string;
  };
  apiKey?: string;
} {
  const tls = access.tls;
  return {
    address,
    ...(tls && {
      tls: {
        ...(tls.clientCertPair && { clientCertPair: tls.clientCertPair }),
        ...(tls.serverRootCACertificate && { serverRootCACertificate: tls.serverRootCACertificate }),
        ...(tls.serverNameOverride && { serverNameOverride: tls.serverNameOverride }),
      },
    }),
    ...(access.apiKey && { apiKey: access.apiKey }),
  };
}

type ConnectionOptions = ReturnType<typeof temporalConnectionOptions>;

/** OpenSSL's reason ("tlsv13 alert certificate required") without its file, line and error number. */
const opensslReason = (message: string): string => /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1] ?? message;

/** What an operator does about a handshake error, by OpenSSL's code or alert. */
function tlsAdvice(err: NodeJS.ErrnoException, options: ConnectionOptions): string {
  const code = err.code ?? '';
  const trusted = options.tls?.serverRootCACertificate
    ? 'the CA in TEMPORAL_TLS_CA'
    : 'a CA this system trusts (set TEMPORAL_TLS_CA)';
  // Not TLS at all: the address (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...).
  if (/^E[A-Z]+$/.test(code)) return 'check TEMPORAL_ADDRESS';
  if (/SELF_SIGNED|ISSUER|UNABLE_TO_VERIFY|CERT_SIGNATURE/.test(code))
    return `the server's certificate is not signed by ${trusted}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return "the server's certificate is not for the name checked: set TEMPORAL_TLS_SERVER_NAME to a name it holds";
  if (/CERT_HAS_EXPIRED|CERT_NOT_YET_VALID/.test(code)) return "the server's certificate is expired or not yet valid";
  if (/CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE/.test(code) && !options.tls?.clientCertPair)
    return 'the server demands a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY';
  if (/UNKNOWN_CA|BAD_CERTIFICATE|CERTIFICATE_UNKNOWN|DECRYPT_ERROR/.test(code))
    return 'the server refused the client certificate in TEMPORAL_TLS_CERT (not signed by a CA it trusts)';
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG/.test(code))
    return 'the server does not speak TLS at this address: unset TEMPORAL_TLS_* and TEMPORAL_API_KEY, or fix TEMPORAL_ADDRESS';
  return 'check TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY and TEMPORAL_TLS_SERVER_NAME';
}

/**
 * The TLS handshake on its own, with the connection's settings: the SDK reports a refused
 * handshake as "Failed to connect before the deadline", which names no certificate. A server
 * that refuses the client certificate says so only after the handshake (TLS 1.3), hence the wait.
 */
function probeTls(options: ConnectionOptions, waitMs: number): Promise<string | null> {
  const tlsOptions = options.tls;
  if (!tlsOptions) return Promise.resolve(null);
  const [host, port] = [options.address.replace(/:\d+$/, ''), Number(options.address.split(':').pop())];
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      servername: tlsOptions.serverNameOverride ?? (isIP(host) ? undefined : host),
      ...(tlsOptions.serverRootCACertificate && { ca: tlsOptions.serverRootCACertificate }),
      ...(tlsOptions.clientCertPair && { cert: tlsOptions.clientCertPair.crt, key: tlsOptions.clientCertPair.key }),
      ALPNProtocols: ['h2'],
    });
    const done = (answer: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(null), waitMs);
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(`TLS with ${options.address}: ${opensslReason(err.message)}: ${tlsAdvice(err, options)}`),
    );
  });
}

/**
 * Why a connect to Temporal failed, in words an operator can act on: the SDK's error with its
 * causes, and with TLS on, what the handshake itself says about the certificates.
 */
export async function explainConnectFailure(options: ConnectionOptions, err: unknown, waitMs = 1_000): Promise<string> {
  const messages: string[] = [];
  for (let e: unknown = err; e instanceof Error && messages.length < 4; e = e.cause) {
    if (!messages.some((m) => m.includes(e.message))) messages.push(e.message);
  }
  if (messages.length === 0) messages.push(String(err));
  const tls = await probeTls(options, waitMs);
  if (tls) messages.push(tls);
  else if (messages.some((m) => /UNAUTHENTICATED|PERMISSION_DENIED/.test(m)))
    messages.push(
      options.apiKey
        ? 'the server refused TEMPORAL_API_KEY'
        : 'the server wants credentials: set TEMPORAL_API_KEY or TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
    );
  return messages.join('; ');
}

/**
 * Connects with the SDK's `Connection` (client) or `NativeConnection` (worker) as configured;
 * a failure is rethrown as "could not reach Temporal at <address>" in explainConnectFailure's
 * words, the SDK's error kept as its cause.
 */
export async function connectTemporal<T>(
  sdk: { connect(options: ConnectionOptions): Promise<T> },
  access: TemporalAccessSettings,
  address: string,
): Promise<T> {
  const options = temporalConnectionOptions(access, address);
  try {
    return await sdk.connect(options);
  } catch (err) {
    throw new Error(`could not reach Temporal at ${address}: ${await explainConnectFailure(options, err)}`, {
      cause: err,
    });
  }
}
