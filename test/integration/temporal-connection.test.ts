import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig } from '../../config';
import { connectTemporal } from '../../config/temporal-connection';
import { makeTestCertificates, type TestCertificates } from '../support/tls-certs';
import { startApiKeyProxy, startMtlsProxy, type ApiKeyProxy, type MtlsProxy } from '../support/tls-proxies';
import { installTestTemporalRuntime } from '../support/temporal-runtime';
import { testWorkflowBundle } from '../support/workflow-bundle';

// The connection settings against a real Temporal behind real TLS: the dev server of the
// test run, fronted by a proxy that terminates TLS the way a cluster or Temporal Cloud does.
// The processes connect exactly as production does: environment -> loadConfig -> the one
// options factory -> Connection.connect / NativeConnection.connect.

const devServer = process.env.TEST_TEMPORAL_ADDRESS!;
let certs: TestCertificates;
let mtls: MtlsProxy;
let cloud: ApiKeyProxy;
const apiKey = `test-key-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  installTestTemporalRuntime();
  certs = makeTestCertificates();
  mtls = await startMtlsProxy(certs, devServer);
  cloud = await startApiKeyProxy(certs, devServer, apiKey);
});

afterAll(async () => {
  await mtls?.close();
  await cloud?.close();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

/** A process started with these variables (and TEMPORAL_ADDRESS): its settings, and where it connects. */
function processWith(address: string, env: Record<string, string>) {
  return { settings: loadConfig({ TEMPORAL_ADDRESS: address, ...env }).temporal, address };
}

/** How worker.ts, api/server.ts and the dev launcher connect, through connectTemporal. */
const connectClient = ({ settings, address }: ReturnType<typeof processWith>) =>
  connectTemporal(Connection, settings, address);
const connectWorker = ({ settings, address }: ReturnType<typeof processWith>) =>
  connectTemporal(NativeConnection, settings, address);

/** The error such a process reports when it cannot connect (the SDK's 10 s connect deadline cut short). */
async function connectError(target: ReturnType<typeof processWith>, sdk: 'client' | 'worker' = 'client') {
  const quick = { connect: (options: object) => Connection.connect({ ...options, connectTimeout: 1_500 }) };
  try {
    const connection =
      sdk === 'client'
        ? await connectTemporal(quick, target.settings, target.address)
        : await connectTemporal(NativeConnection, target.settings, target.address);
    await connection.close();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error('connected, but should not have');
}

test('mTLS: the client and a polling worker reach Temporal through a frontend that demands the client certificate', async () => {
  const target = processWith(mtls.address, {
    TEMPORAL_TLS_CERT: certs.clientCert,
    TEMPORAL_TLS_KEY: certs.clientKey,
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  });
  const connection = await connectClient(target);
  const native = await connectWorker(target);
  try {
    const client = new Client({ connection, namespace: 'default' });
    const taskQueue = `tls-${randomBytes(4).toString('hex')}`;
    const worker = await Worker.create({
      connection: native,
      namespace: 'default',
      taskQueue,
      workflowBundle: testWorkflowBundle(),
    });
    // The worker's pollers, seen by the server through the client's own TLS connection.
    const pollers = await worker.runUntil(async () => {
      for (;;) {
        const { pollers } = await client.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: taskQueue },
          taskQueueType: 1, // workflow
        });
        if (pollers.length > 0) return pollers;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    });
    expect(pollers.length).toBeGreaterThan(0);
    expect(mtls.clients.length).toBeGreaterThanOrEqual(2);
    expect(new Set(mtls.clients)).toEqual(new Set(['reminders-worker']));
  } finally {
    await connection.close();
    await native.close();
  }
});

test('mTLS: a CA that did not sign the server, or no client certificate, fails the connect', async () => {
  const wrongCa = await connectError(
    processWith(mtls.address, {
      TEMPORAL_TLS_CERT: certs.clientCert,
      TEMPORAL_TLS_KEY: certs.clientKey,
      TEMPORAL_TLS_CA: certs.otherCa,
      TEMPORAL_TLS_SERVER_NAME: certs.serverName,
    }),
  );
  expect(wrongCa).toMatch(
    /self-signed certificate in certificate chain: the server's certificate is not signed by the CA in TEMPORAL_TLS_CA/,
  );

  const refusedBefore = mtls.refused.length;
  const noClientCert = await connectError(
    processWith(mtls.address, { TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_SERVER_NAME: certs.serverName }),
  );
  expect(noClientCert).toMatch(
    /alert certificate required: the server demands a client certificate: set TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY/,
  );
  expect(mtls.refused.slice(refusedBefore).join('\n')).toMatch(/peer did not return a certificate/);

  // The worker's connection (the SDK's Rust core) fails too, and is explained the same way.
  const nativeNoClientCert = await connectError(
    processWith(mtls.address, { TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_SERVER_NAME: certs.serverName }),
    'worker',
  );
  expect(nativeNoClientCert).toMatch(
    /^could not reach Temporal at 127\.0\.0\.1:\d+: Failed to call GetSystemInfo.*the server demands a client certificate/s,
  );
});

test('TEMPORAL_API_KEY travels as authorization: Bearer <key> over TLS on every call, from the client and the worker', async () => {
  const target = processWith(cloud.address, {
    TEMPORAL_API_KEY: apiKey,
    TEMPORAL_TLS_CA: certs.ca,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  });
  const connection = await connectClient(target);
  const native = await connectWorker(target);
  try {
    const client = new Client({ connection, namespace: 'default' });
    const { namespaceInfo } = await client.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespaceInfo?.name).toBe('default');
    await native.workflowService.describeNamespace({ namespace: 'default' });
  } finally {
    await connection.close();
    await native.close();
  }
  const described = cloud.calls.filter((call) => call.path.endsWith('/DescribeNamespace'));
  expect(described).toHaveLength(2);
  expect(cloud.calls.length).toBeGreaterThan(described.length); // the connects' own calls too
  expect(new Set(cloud.calls.map((call) => call.authorization))).toEqual(new Set([`Bearer ${apiKey}`]));

  // The same front refuses a connection without the key: the proxy checks, it does not just record.
  const without = await connectError(
    processWith(cloud.address, { TEMPORAL_TLS_CA: certs.ca, TEMPORAL_TLS_SERVER_NAME: certs.serverName }),
  );
  expect(without).toMatch(/16 UNAUTHENTICATED: API key missing or wrong/);
});
