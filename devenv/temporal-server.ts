import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { TemporalUnavailableError, findExecutable, isExecutableFile } from './temporal-cli';
import { elapsed, goInstall } from './go-install';
import { isPortFree } from './ports';
import { ensureSearchAttributes } from '../workflows/search-attribute-registration';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

// The full Temporal server (frontend, history, matching and worker services in one process)
// persisted in PostgreSQL: what a production cluster and our compose file's `temporal` service
// run, unlike the dev server's SQLite. Built from the Go module proxy like the CLI, and
// configured exactly as the official `temporalio/server` image is: its config/docker.yaml is a
// template the server itself renders from its environment variables (DB, POSTGRES_SEEDS, …).

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const MODULE = `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`;

/** The binaries plus the files of the server module they need at run time (schemas, config template). */
export interface TemporalServerTools {
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12, with temporal/ and visibility/ inside. */
  schemaDir: string;
  /** The image's config template (`# enable-template`), rendered by the server from its environment. */
  configTemplate: string;
}

function toolsAt(dir: string): TemporalServerTools {
  return {
    server: path.join(dir, 'bin', 'server'),
    sqlTool: path.join(dir, 'bin', 'sql'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
    configTemplate: path.join(dir, 'config', 'docker.yaml'),
  };
}

function complete(tools: TemporalServerTools): boolean {
  return (
    isExecutableFile(tools.server) &&
    isExecutableFile(tools.sqlTool) &&
    existsSync(path.join(tools.schemaDir, 'visibility', 'versioned')) &&
    existsSync(tools.configTemplate)
  );
}

/** Where provision-tools puts the server; the tests look there. */
export function temporalServerDir(projectRoot: string): string {
  return path.join(projectRoot, '.tools', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

/** The tools already in .tools, or null (no build here: tests call this, provision-tools builds). */
export function findTemporalServer(projectRoot: string): TemporalServerTools | null {
  const tools = toolsAt(temporalServerDir(projectRoot));
  return complete(tools) ? tools : null;
}

/**
 * Finds the full server in .tools or builds it there with `go install` (about 2 minutes on two
 * cores with Go's caches warm from the CLI's build; seconds after that). null without Go.
 */
export async function resolveTemporalServer(options: {
  projectRoot: string;
  log: (line: string) => void;
}): Promise<TemporalServerTools | null> {
  const { projectRoot, log } = options;
  const dir = temporalServerDir(projectRoot);
  const tools = toolsAt(dir);
  if (complete(tools)) {
    log(`Temporal server: using ${dir}`);
    return tools;
  }
  const go = findExecutable('go');
  if (!go) {
    log('Temporal server: not in .tools and Go is not installed to build it');
    return null;
  }
  log(
    `Temporal server: building v${TEMPORAL_SERVER_VERSION} and its SQL schema tool with Go into ${dir} ` +
      "(about 2 minutes on 2 cores when Go's caches are warm from the Temporal CLI's build)",
  );
  const started = Date.now();
  try {
    await goInstall({
      go,
      binDir: path.dirname(tools.server),
      packages: [
        `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
        `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
      ],
      what: 'Temporal server',
      log,
    });
    // The schemas and the config template ship in the module's source, which go install left in
    // GOMODCACHE; copied beside the binaries so that running them needs no Go.
    const { stdout } = await promisify(execFile)(go, ['mod', 'download', '-json', MODULE]);
    const moduleDir = (JSON.parse(stdout) as { Dir: string }).Dir;
    cpSync(path.join(moduleDir, 'schema', 'postgresql', 'v12'), tools.schemaDir, { recursive: true });
    mkdirSync(path.dirname(tools.configTemplate), { recursive: true });
    cpSync(path.join(moduleDir, 'config', 'docker.yaml'), tools.configTemplate);
  } catch (err) {
    throw new TemporalUnavailableError(
      `${err instanceof Error ? err.message : String(err)}\n` +
        `Build it by hand with \`GOBIN=${path.dirname(tools.server)} go install go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION} ` +
        `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}\`.`,
    );
  }
  log(`Temporal server: ready in ${dir} after ${elapsed(started)}`);
  return tools;
}

/** The official image's environment variables for a server on PostgreSQL, as a compose file sets them. */
export type TemporalServerEnv = Record<string, string>;

/**
 * A free port below 32768: the server keeps each service's membership port in a smallint
 * column, and the ephemeral ports the system hands out for port 0 lie above that.
 */
export async function freeLowPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await isPortFree(port, '127.0.0.1')) return port;
  }
  throw new TemporalUnavailableError('found no free TCP port between 20000 and 32000 for the Temporal server');
}

/**
 * What the compose file's `temporal` service sets, for a server on this machine: the
 * PostgreSQL settings plus the ports, which here must all be free ones (the image's defaults
 * 7233-7246 and 6933-6939 may be taken by another server).
 */
export function localTemporalServerEnv(options: {
  postgres: { host: string; port: number; user: string; password: string };
  ports: {
    frontend: number;
    frontendHttp: number;
    history: number;
    matching: number;
    worker: number;
    membership: number[];
  };
  dynamicConfigFile: string;
}): TemporalServerEnv {
  const { postgres, ports } = options;
  const [frontendMembership, historyMembership, matchingMembership, workerMembership] = ports.membership;
  return {
    DB: 'postgres12',
    DB_PORT: String(postgres.port),
    // The template takes the visibility store's port from VISIBILITY_DB_PORT or POSTGRES_PORT,
    // not DB_PORT: without one of them it is 5432 whatever DB_PORT says.
    VISIBILITY_DB_PORT: String(postgres.port),
    POSTGRES_SEEDS: postgres.host,
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    DBNAME: 'temporal',
    VISIBILITY_DBNAME: 'temporal_visibility',
    NUM_HISTORY_SHARDS: '4',
    DYNAMIC_CONFIG_FILE_PATH: options.dynamicConfigFile,
    BIND_ON_IP: '127.0.0.1',
    LOG_LEVEL: 'warn',
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    HISTORY_GRPC_PORT: String(ports.history),
    MATCHING_GRPC_PORT: String(ports.matching),
    WORKER_GRPC_PORT: String(ports.worker),
    FRONTEND_MEMBERSHIP_PORT: String(frontendMembership),
    HISTORY_MEMBERSHIP_PORT: String(historyMembership),
    MATCHING_MEMBERSHIP_PORT: String(matchingMembership),
    WORKER_MEMBERSHIP_PORT: String(workerMembership),
  };
}

/**
 * Creates the server's two databases and brings their schemas to the version the server
 * expects, as the image's admin-tools do before a first start: `create-database`,
 * `setup-schema -v 0.0`, then `update-schema` over the module's versioned SQL.
 */
export async function setUpTemporalSchemas(
  tools: TemporalServerTools,
  env: TemporalServerEnv,
  log: (line: string) => void,
): Promise<void> {
  const run = promisify(execFile);
  const databases = [
    { name: env.DBNAME ?? 'temporal', schema: 'temporal', port: env.DB_PORT },
    {
      name: env.VISIBILITY_DBNAME ?? 'temporal_visibility',
      schema: 'visibility',
      port: env.VISIBILITY_DB_PORT ?? env.DB_PORT,
    },
  ];
  for (const database of databases) {
    const base = [
      '--plugin',
      env.DB ?? 'postgres12',
      '--ep',
      env.POSTGRES_SEEDS ?? '127.0.0.1',
      '-p',
      database.port ?? '5432',
      '-u',
      env.POSTGRES_USER ?? '',
      '--pw',
      env.POSTGRES_PWD ?? '',
      '--db',
      database.name,
    ];
    const steps = [
      ['create-database'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-d', path.join(tools.schemaDir, database.schema, 'versioned')],
    ];
    for (const step of steps) {
      try {
        await run(tools.sqlTool, [...base, ...step]);
      } catch (err) {
        const { stderr, stdout } = err as { stderr?: string; stdout?: string };
        throw new TemporalUnavailableError(
          `temporal-sql-tool ${step[0]} on database ${database.name} failed: ${(stderr || stdout || String(err)).trim()}`,
        );
      }
    }
    log(`Temporal server: schema of ${database.name} set up`);
  }
}

export interface RunningTemporalServer {
  address: string;
  /** Everything the server printed (its JSON log lines), for a test's failure message. */
  output(): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;

/**
 * Starts the server as the image does (`temporal-server --env docker start` in a directory
 * whose config/docker.yaml is the template), with `env` as its whole environment, then
 * registers the namespace and the search attributes and waits until a workflow carrying them
 * can be started: a new namespace reaches the history service only on its next cache refresh.
 */
export async function startTemporalServer(options: {
  tools: TemporalServerTools;
  env: TemporalServerEnv;
  /** The server's root: config/docker.yaml is written here. */
  workDir: string;
  /** Created if missing, with the contract's search attributes registered. */
  namespace: string;
  log: (line: string) => void;
}): Promise<RunningTemporalServer> {
  const { tools, env, workDir, namespace, log } = options;
  mkdirSync(path.join(workDir, 'config'), { recursive: true });
  cpSync(tools.configTemplate, path.join(workDir, 'config', 'docker.yaml'));
  if (env.DYNAMIC_CONFIG_FILE_PATH && !existsSync(env.DYNAMIC_CONFIG_FILE_PATH)) {
    writeFileSync(env.DYNAMIC_CONFIG_FILE_PATH, '{}\n');
  }
  const started = Date.now();
  const child = spawn(
    tools.server,
    // The image runs without an authorizer too; since 1.28 the server wants that said out loud.
    ['--root', workDir, '--config', 'config', '--env', 'docker', '--allow-no-auth', 'start'],
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-200_000);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('close', () => {
      exited = true;
      process.off('exit', killOnExit);
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exit;
    clearTimeout(timer);
  };
  const tail = (): string => output.split('\n').slice(-15).join('\n');

  const address = `127.0.0.1:${env.FRONTEND_GRPC_PORT ?? '7233'}`;
  try {
    await Promise.race([
      prepare(address, namespace),
      exit.then(() => {
        throw new Error('exited before it was ready');
      }),
    ]);
  } catch (err) {
    await stop();
    throw new TemporalUnavailableError(
      `Temporal server ${tools.server} did not become ready: ${err instanceof Error ? err.message : String(err)}\n${tail()}`,
    );
  }
  log(`Temporal server: ready at ${address} after ${elapsed(started)}`);
  return { address, output: () => output, stop };
}

async function prepare(address: string, namespace: string): Promise<void> {
  const connection = await retry(() => Connection.connect({ address, connectTimeout: 1_000 }));
  try {
    await retry(async () => {
      try {
        await connection.workflowService.describeNamespace({ namespace });
      } catch {
        await connection.workflowService.registerNamespace({
          namespace,
          workflowExecutionRetentionPeriod: msToTs('1 day'),
        });
      }
    });
    await retry(async () => {
      // The worker's own registration; a repeat proves the ones it just added are listed.
      const added = await ensureSearchAttributes(connection, namespace);
      if (added.length > 0) throw new Error(`search attributes just added: ${added.join(', ')}`);
    });
    // Started and terminated at once: proves the namespace and its search attributes are live
    // on the history service, not only in the frontend's answers.
    const client = new Client({ connection, namespace });
    await retry(async () => {
      const handle = await client.workflow.start('ReadinessProbe', {
        taskQueue: 'readiness-probe',
        workflowId: `readiness-probe-${Date.now()}`,
        typedSearchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES.filter(
          (key) => key.type === SearchAttributeType.KEYWORD,
        ).map((key) => ({ key: defineSearchAttributeKey(key.name, SearchAttributeType.KEYWORD), value: 'probe' })),
      });
      await handle.terminate('readiness probe');
    });
  } finally {
    await connection.close();
  }
}

async function retry<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
