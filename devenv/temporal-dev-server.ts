import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { isPortFree, PortInUseError, portInUseMessage } from './ports';
import { TEMPORAL_CLI_INSTALL_HINT, TemporalUnavailableError } from './temporal-cli';

// Callers print these errors' messages without a stack (both are DevSetupErrors): no binary, a port taken.
export { PortInUseError, TemporalUnavailableError };

export interface DevServerOptions {
  cliPath: string | null;
  port: number;
  /** null = headless (no Web UI). */
  uiPort: number | null;
  /** null = in memory, lost when the server stops. */
  dbFile: string | null;
  namespace: string;
  searchAttributes: ReadonlyArray<{ name: string; type: SearchAttributeType }>;
  log: (line: string) => void;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const STDERR_TAIL_LINES = 20;

// Measured on the dev server: WAL + synchronous=normal gives ~3x the workflow throughput of SQLite's
// defaults and a fraction of the timer lateness, while still surviving a server crash.
const SQLITE_PRAGMAS = ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'];

export async function startTemporalDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  await assertDevServerPortsFree(options.port, options.uiPort);
  if (options.dbFile !== null) mkdirSync(path.dirname(options.dbFile), { recursive: true });

  return options.cliPath === null ? startWithSdkDownload(options) : startWithCli(options.cliPath, options);
}

async function startWithCli(cliPath: string, options: DevServerOptions): Promise<RunningDevServer> {
  const { port, uiPort, dbFile, namespace, searchAttributes, log } = options;
  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    ...(uiPort === null ? ['--headless'] : ['--ui-port', String(uiPort)]),
    '--namespace',
    namespace,
    ...searchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=${cliTypeName(key.type)}`]),
    '--log-level',
    'warn',
    ...(dbFile === null ? [] : ['--db-filename', dbFile, ...SQLITE_PRAGMAS]),
  ];
  log(`Temporal dev server: starting ${cliPath} on ${HOST}:${port} (${dbFile ?? 'in memory'})`);
  const started = Date.now();
  // stdout only repeats the addresses we already know; stderr carries the errors worth showing.
  const child = spawn(cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });

  const stderrTail: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail.push(...chunk.split('\n').filter((line) => line.trim() !== ''));
    stderrTail.splice(0, Math.max(0, stderrTail.length - STDERR_TAIL_LINES));
  });
  const describeTail = (): string =>
    stderrTail.length === 0 ? '(it printed nothing on stderr)' : `Its last stderr lines:\n${stderrTail.join('\n')}`;

  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  // Exits during startup are reported by the thrown error, and stop() asks for one: only others are news.
  let exitExpected = true;
  // A caller that exits without stop() (an uncaught error, process.exit) must not leave the port taken.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    // 'close' rather than 'exit': by then stderr is drained, so the tail shown in errors is complete.
    child.on('close', (code, signal) => {
      exit = { code, signal };
      process.off('exit', killOnExit);
      if (!exitExpected) log(`Temporal dev server exited (${describeExit(exit)}). ${describeTail()}`);
      resolve();
    });
  });
  const spawnFailure = new Promise<Error>((resolve) => child.on('error', resolve));

  const stop = async (): Promise<void> => {
    if (exit !== null) return;
    exitExpected = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      log(`Temporal dev server: still running ${STOP_GRACE_MS / 1000} s after SIGTERM, sending SIGKILL`);
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  const address = `${HOST}:${port}`;
  const gaveUp = new AbortController();
  const failure = await Promise.race([
    waitUntilReady(
      address,
      namespace,
      searchAttributes.map((key) => key.name),
      gaveUp.signal,
    ).then(
      () => null,
      (error: Error) => error.message,
    ),
    exited.then(() => `exited (${describeExit(exit)}) before it was ready`),
    spawnFailure.then((error) => `could not be run: ${error.message}`),
  ]);
  gaveUp.abort();
  if (failure !== null) {
    await stop();
    throw new TemporalUnavailableError(`Temporal dev server ${cliPath} ${failure}. ${describeTail()}`);
  }
  exitExpected = false;
  log(`Temporal dev server: ready at ${address} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { address, uiUrl: uiPort === null ? null : `http://${HOST}:${uiPort}`, stop };
}

/** `KEYWORD` → `Keyword`: the spelling `start-dev --search-attribute` takes. */
function cliTypeName(type: SearchAttributeType): string {
  return (
    type.charAt(0) +
    type
      .slice(1)
      .toLowerCase()
      .replace(/_(\w)/g, (_m, c: string) => c.toUpperCase())
  );
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null } | null): string {
  return exit?.signal ?? `exit code ${exit?.code}`;
}

/**
 * The frontend answers before the CLI has created the namespace and registered the search
 * attributes, so "ready" means all three: a worker started earlier would fail on them.
 */
async function waitUntilReady(
  address: string,
  namespace: string,
  searchAttributeNames: string[],
  gaveUp: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'the frontend did not answer';
  while (Date.now() < deadline && !gaveUp.aborted) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.describeNamespace({ namespace });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = searchAttributeNames.filter((name) => !(name in (customAttributes ?? {})));
      if (missing.length === 0) return;
      lastProblem = `search attributes not registered yet: ${missing.join(', ')}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    } finally {
      await connection?.close();
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`did not become ready within ${READY_TIMEOUT_MS / 1000} s (last problem: ${lastProblem})`);
}

/**
 * Without a CLI binary the SDK downloads one from Temporal's CDN; that fails on machines
 * that reach only package registries, so the error says how to install the CLI instead.
 */
async function startWithSdkDownload(options: DevServerOptions): Promise<RunningDevServer> {
  const { port, uiPort, dbFile, namespace, searchAttributes, log } = options;
  log('Temporal dev server: no Temporal CLI found, asking the SDK to download one');
  try {
    // Imported here because @temporalio/testing is a devDependency: absent from production installs.
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const environment = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: HOST,
        port,
        ui: uiPort !== null,
        ...(uiPort === null ? {} : { uiPort }),
        ...(dbFile === null ? {} : { dbFilename: dbFile, extraArgs: SQLITE_PRAGMAS }),
        namespace,
        searchAttributes: [...searchAttributes],
        log: { format: 'pretty', level: 'warn' },
      },
    });
    log(`Temporal dev server: ready at ${environment.address} (SDK download)`);
    return {
      address: environment.address,
      uiUrl: uiPort === null ? null : `http://${HOST}:${uiPort}`,
      stop: () => environment.teardown(),
    };
  } catch (error) {
    throw new TemporalUnavailableError(
      `No Temporal CLI was found and the SDK could not download one (${rootCause(error)}). ${TEMPORAL_CLI_INSTALL_HINT}`,
    );
  }
}

/** The SDK's errors chain every layer's message ("a: b: c"); the last ones name what actually went wrong. */
export function rootCause(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].split(': ').slice(-2).join(': ');
}

/**
 * Throws a PortInUseError with one line per taken port, each naming what holds it and the
 * setting that moves the dev server elsewhere.
 */
export async function assertDevServerPortsFree(port: number, uiPort: number | null): Promise<void> {
  const wanted = [{ port, purpose: 'Temporal frontend', setting: 'DEV_TEMPORAL_PORT' }];
  if (uiPort !== null) wanted.push({ port: uiPort, purpose: 'Temporal Web UI', setting: 'DEV_TEMPORAL_UI_PORT' });
  const problems: string[] = [];
  for (const want of wanted) {
    if (await isPortFree(want.port, HOST)) continue;
    const remedy = `Set ${want.setting} to another port, or TEMPORAL_ADDRESS to use a running Temporal server.`;
    problems.push(await portInUseMessage(want.port, want.purpose, remedy));
  }
  if (problems.length > 0) throw new PortInUseError(problems.join('\n'));
}
