import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../config';
import { readTemporalAccess, temporalConnectionOptions } from '../../config/temporal-connection';
import { makeTestCertificates } from '../support/tls-certs';

/** A public key as SendGrid's settings page shows it (base64 SPKI DER), and as PEM. */
function ecKey(namedCurve = 'prime256v1') {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve });
  return {
    base64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
const sendgridKey = ecKey().base64;

test('defaults when nothing is configured: embedded database, dev Temporal, simulated SMS', () => {
  expect(loadConfig({})).toEqual({
    port: 3000,
    databaseUrl: null,
    temporal: {
      address: null,
      namespace: 'default',
      taskQueue: 'reminders',
      cliPath: null,
      uiUrl: null,
      tls: null,
      apiKey: null,
    },
    publicBaseUrl: 'http://localhost:3000',
    twilio: null,
    twilioDevWebhookToken: null,
    sendgrid: null,
    sendgridWebhookPublicKey: null,
    linkSigningSecret: null,
    logLevel: 'info',
    workerHttpPort: 3001,
    workerCapacity: { maxCachedWorkflows: 500, maxConcurrentWorkflowTasks: 40, maxConcurrentActivities: 2000 },
    dev: { postgresPort: 5488, temporalPort: 7233, temporalUiPort: 8233 },
  });
});

test('reads every variable', () => {
  const config = loadConfig({
    PORT: '8080',
    DATABASE_URL: 'postgresql://u:p@db:5432/app',
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_NAMESPACE: 'prod',
    TEMPORAL_TASK_QUEUE: 'rq',
    PUBLIC_BASE_URL: 'https://reminders.example.com/',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'secret',
    TWILIO_API_BASE_URL: 'http://localhost:4010',
    SENDGRID_API_KEY: 'SG.key',
    SENDGRID_API_BASE_URL: 'http://localhost:4020',
    SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridKey,
    LINK_SIGNING_SECRET: 'x'.repeat(32),
    TEMPORAL_UI_URL: 'https://temporal.example.com/',
    WORKER_HTTP_PORT: '0',
    WORKER_MAX_CACHED_WORKFLOWS: '500',
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
    WORKER_MAX_CONCURRENT_ACTIVITIES: '3000',
    TWILIO_MAX_CONCURRENT_REQUESTS: '25',
  });
  expect(config).toMatchObject({
    workerCapacity: { maxCachedWorkflows: 500, maxConcurrentWorkflowTasks: 20, maxConcurrentActivities: 3000 },
    port: 8080,
    publicBaseUrl: 'https://reminders.example.com',
    temporal: { address: 'temporal:7233', namespace: 'prod', taskQueue: 'rq', uiUrl: 'https://temporal.example.com' },
    workerHttpPort: 0,
    twilio: {
      accountSid: `AC${'a'.repeat(32)}`,
      authToken: 'secret',
      apiBaseUrl: 'http://localhost:4010',
      maxConcurrentRequests: 25,
    },
    sendgrid: { apiKey: 'SG.key', apiBaseUrl: 'http://localhost:4020' },
    sendgridWebhookPublicKey: sendgridKey,
    linkSigningSecret: 'x'.repeat(32),
  });
});

test('invalid configuration is reported as one line per problem', () => {
  let error: unknown;
  try {
    loadConfig({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      TEMPORAL_ADDRESS: 'no-port',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      LINK_SIGNING_SECRET: 'short',
    });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems).toEqual([
    'PORT: must be a port number between 1 and 65535',
    'DATABASE_URL: must be a postgresql:// URL',
    'TEMPORAL_ADDRESS: must be host:port, e.g. localhost:7233',
    'LINK_SIGNING_SECRET: must be at least 32 characters (e.g. openssl rand -hex 32)',
    'TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together',
  ]);
});

describe('worker capacity', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('names each bad value and its variable', () => {
    expect(
      problems({
        WORKER_MAX_CACHED_WORKFLOWS: '1',
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '2.5',
        WORKER_MAX_CONCURRENT_ACTIVITIES: 'lots',
      }),
    ).toEqual([
      'WORKER_MAX_CACHED_WORKFLOWS: must be a whole number from 2 to 1000000, or 0 to keep none (every workflow task replays its history)',
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must be a whole number from 2 to 10000',
      'WORKER_MAX_CONCURRENT_ACTIVITIES: must be a whole number from 1 to 100000',
    ]);
    expect(problems({ WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toEqual([
      'WORKER_MAX_CONCURRENT_ACTIVITIES: must be a whole number from 1 to 100000',
    ]);
    expect(problems({ WORKER_MAX_CACHED_WORKFLOWS: '-5' })).toHaveLength(1);
  });

  it('refuses more workflow task slots than cached workflows, which the SDK would quietly lower', () => {
    expect(problems({ WORKER_MAX_CACHED_WORKFLOWS: '10', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20' })).toEqual([
      'WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must not exceed WORKER_MAX_CACHED_WORKFLOWS (10): a workflow task runs on a cached workflow',
    ]);
    // The default slots (40) against a smaller cache are the same mistake.
    expect(problems({ WORKER_MAX_CACHED_WORKFLOWS: '30' })).toHaveLength(1);
  });

  it('takes 0 for no cache, with any number of workflow task slots', () => {
    expect(
      loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: '0', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '100' }).workerCapacity,
    ).toEqual({ maxCachedWorkflows: 0, maxConcurrentWorkflowTasks: 100, maxConcurrentActivities: 2000 });
    expect(loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: ' 300 ' }).workerCapacity.maxCachedWorkflows).toBe(300);
  });
});

test('dev tooling ports: each settable; the Web UI follows the frontend at +1000 unless set', () => {
  expect(
    loadConfig({ DEV_POSTGRES_PORT: '15488', DEV_TEMPORAL_PORT: '17233', DEV_TEMPORAL_UI_PORT: '18080' }).dev,
  ).toEqual({
    postgresPort: 15488,
    temporalPort: 17233,
    temporalUiPort: 18080,
  });
  expect(loadConfig({ DEV_TEMPORAL_PORT: '7300' }).dev).toEqual({
    postgresPort: 5488,
    temporalPort: 7300,
    temporalUiPort: 8300,
  });
  expect(loadConfig({ DEV_POSTGRES_PORT: ' ' }).dev.postgresPort).toBe(5488);
});

test('invalid or colliding dev ports are reported one line each', () => {
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };
  expect(problems({ DEV_POSTGRES_PORT: 'five', DEV_TEMPORAL_PORT: '70000', DEV_TEMPORAL_UI_PORT: '0' })).toEqual([
    'DEV_POSTGRES_PORT: must be a port number between 1 and 65535',
    'DEV_TEMPORAL_PORT: must be a port number between 1 and 65535',
    'DEV_TEMPORAL_UI_PORT: must be a port number between 1 and 65535',
  ]);
  // An invalid frontend port is one problem, not also one about the UI port derived from it.
  expect(problems({ DEV_TEMPORAL_PORT: 'x' })).toEqual([
    'DEV_TEMPORAL_PORT: must be a port number between 1 and 65535',
  ]);
  expect(problems({ DEV_TEMPORAL_PORT: '5488' })).toEqual([
    'DEV_TEMPORAL_PORT: must differ from DEV_POSTGRES_PORT (both are 5488)',
  ]);
  expect(problems({ DEV_TEMPORAL_PORT: '4488' })).toEqual([
    'DEV_TEMPORAL_UI_PORT: must differ from DEV_POSTGRES_PORT (both are 5488; unset, it is DEV_TEMPORAL_PORT + 1000)',
  ]);
  expect(problems({ DEV_TEMPORAL_PORT: '65000' })).toEqual([
    'DEV_TEMPORAL_UI_PORT: must be set when DEV_TEMPORAL_PORT is above 64535; unset, it is DEV_TEMPORAL_PORT + 1000',
  ]);
  expect(problems({ DEV_TEMPORAL_PORT: '65000', DEV_TEMPORAL_UI_PORT: '65001' })).toEqual([]);
});

test("SendGrid's event webhook key: base64 as SendGrid shows it, or PEM (also with \\n escapes, as .env files hold it)", () => {
  const { base64, pem } = ecKey();
  expect(loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: base64 }).sendgridWebhookPublicKey).toBe(base64);
  expect(loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: pem }).sendgridWebhookPublicKey).toBe(pem.trim());
  expect(loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: pem.trim().replace(/\n/g, '\\n') }).sendgridWebhookPublicKey).toBe(
    pem.trim(),
  );
});

test('a SendGrid key that cannot verify signatures stops the start, with one clear line', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64');
  for (const key of ['not a key', 'MFkw', ecKey('secp256k1').base64, rsa]) {
    let error: unknown;
    try {
      loadConfig({ SENDGRID_WEBHOOK_PUBLIC_KEY: key });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      "SENDGRID_WEBHOOK_PUBLIC_KEY: must be the verification key of SendGrid's Signed Event Webhook (an ECDSA P-256 public key, base64 or PEM)",
    ]);
  }
});

describe('Temporal TLS and API key', () => {
  const certs = makeTestCertificates();
  afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));
  const address = { TEMPORAL_ADDRESS: 'temporal.example.com:7233' };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  test('mTLS: the files are read once, at start, into the config, and become the SDK options', () => {
    const { temporal } = loadConfig({
      ...address,
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_TLS_CA: certs.ca,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    });
    expect(temporal.tls).toEqual({
      clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
      serverRootCACertificate: readFileSync(certs.ca),
      serverNameOverride: certs.serverName,
    });
    expect(temporal.apiKey).toBeNull();
    expect(temporalConnectionOptions(temporal, 'temporal.example.com:7233')).toEqual({
      address: 'temporal.example.com:7233',
      tls: {
        clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
        serverRootCACertificate: readFileSync(certs.ca),
        serverNameOverride: certs.serverName,
      },
    });
  });

  test('a CA alone verifies the server without a client certificate; an API key alone is TLS with the system roots', () => {
    const caOnly = loadConfig({ ...address, TEMPORAL_TLS_CA: certs.ca }).temporal;
    expect(temporalConnectionOptions(caOnly, 'h:1')).toEqual({
      address: 'h:1',
      tls: { serverRootCACertificate: readFileSync(certs.ca) },
    });
    const cloud = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-123' }).temporal;
    expect(temporalConnectionOptions(cloud, 'ns.acct.tmprl.cloud:7233')).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: {},
      apiKey: 'key-123',
    });
    // Nothing set (and configs built by hand without the fields): plain TCP.
    expect(temporalConnectionOptions(loadConfig(address).temporal, 'h:1')).toEqual({ address: 'h:1' });
    expect(temporalConnectionOptions({}, 'h:1')).toEqual({ address: 'h:1' });
  });

  test('each problem with the settings is one line naming the variable', () => {
    const notPem = path.join(certs.dir, 'not-pem.txt');
    writeFileSync(notPem, 'hello');
    expect(problems({ ...address, TEMPORAL_TLS_CERT: certs.clientCert })).toEqual([
      'TEMPORAL_TLS_KEY: must be set with TEMPORAL_TLS_CERT (the key of the client certificate)',
    ]);
    expect(problems({ ...address, TEMPORAL_TLS_KEY: certs.clientKey })).toEqual([
      'TEMPORAL_TLS_CERT: must be set with TEMPORAL_TLS_KEY (the certificate of that key)',
    ]);
    expect(problems({ ...address, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: certs.serverKey })).toEqual([
      `TEMPORAL_TLS_KEY: ${certs.serverKey} is not the key of the certificate in ${certs.clientCert}`,
    ]);
    expect(
      problems({
        ...address,
        TEMPORAL_TLS_CERT: path.join(certs.dir, 'missing.pem'),
        TEMPORAL_TLS_KEY: certs.clientCert,
        TEMPORAL_TLS_CA: notPem,
      }),
    ).toEqual([
      `TEMPORAL_TLS_CERT: cannot read ${certs.dir}/missing.pem (ENOENT: no such file or directory)`,
      `TEMPORAL_TLS_KEY: ${certs.clientCert} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`,
      `TEMPORAL_TLS_CA: ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ]);
    expect(problems({ ...address, TEMPORAL_TLS_SERVER_NAME: certs.serverName })).toEqual([
      'TEMPORAL_TLS_SERVER_NAME: applies to TLS only: set TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY, or TEMPORAL_API_KEY',
    ]);
    expect(problems({ ...address, TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_SERVER_NAME: 'not a name' })).toEqual([
      'TEMPORAL_TLS_SERVER_NAME: must be a DNS name, e.g. temporal.example.com',
    ]);
    expect(problems({ ...address, TEMPORAL_API_KEY: 'two words' })).toEqual([
      'TEMPORAL_API_KEY: must be one line of printable characters without spaces (it travels in an HTTP header)',
    ]);
    expect(problems({ TEMPORAL_API_KEY: 'key-123', PORT: 'x' })).toEqual([
      'PORT: must be a port number between 1 and 65535',
      'TEMPORAL_ADDRESS: must be set with TEMPORAL_TLS_* or TEMPORAL_API_KEY (unset, a local dev server without TLS is used)',
    ]);
  });

  test('an encrypted key, a DER file and a certificate out of its validity are refused before any handshake', () => {
    const encrypted = path.join(certs.dir, 'encrypted.key');
    writeFileSync(
      encrypted,
      createPrivateKey(readFileSync(certs.clientKey)).export({
        format: 'pem',
        type: 'pkcs8',
        cipher: 'aes-256-cbc',
        passphrase: 'secret',
      }),
    );
    expect(problems({ ...address, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: encrypted })).toEqual([
      `TEMPORAL_TLS_KEY: ${encrypted} holds an encrypted key; the Temporal SDK needs it unencrypted (openssl pkey -in <file> -out <new file>)`,
    ]);
    const der = path.join(certs.dir, 'ca.der');
    writeFileSync(der, new X509Certificate(readFileSync(certs.ca)).raw);
    expect(problems({ ...address, TEMPORAL_TLS_CA: der })).toEqual([
      `TEMPORAL_TLS_CA: ${der} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ]);
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    const { problems: late } = readTemporalAccess(
      { ...address, TEMPORAL_TLS_CERT: certs.clientCert, TEMPORAL_TLS_KEY: certs.clientKey },
      inThreeDays,
    );
    expect(late).toEqual([
      expect.stringMatching(
        new RegExp(`^TEMPORAL_TLS_CERT: ${certs.clientCert}: the certificate for CN=reminders-worker expired on `),
      ),
    ]);
  });
});
