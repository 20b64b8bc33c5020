import path from 'node:path';
import { postmasterOf, startEmbeddedPostgres } from './embedded-postgres';
import { DevSetupError } from './errors';
import {
  describeProcesses,
  holdsAnySocket,
  isListening,
  listeningInodes,
  listeningProcesses,
  PortInUseError,
} from './ports';

/** Where the embedded PostgreSQL lives when DATABASE_URL is unset; its port is DEV_POSTGRES_PORT. */
export const EMBEDDED_POSTGRES = {
  dataDir: path.resolve(__dirname, '..', '.data', 'postgres'),
  database: 'appointment_reminders',
};

export interface Database {
  url: string;
  /** Stops the embedded server if this process started it; otherwise does nothing. */
  stop(): Promise<void>;
}

export interface DatabaseOptions {
  /** DATABASE_URL as parsed by loadConfig(); when set, nothing else is consulted. */
  databaseUrl: string | null;
  /** DEV_POSTGRES_PORT (config.dev.postgresPort). */
  port: number;
  /** Defaults to `.data/postgres` of this checkout. */
  dataDir?: string;
  database?: string;
}

/**
 * The configured database, or the embedded one under `.data/`. A server already answering
 * on the port is shared (say `npm run dev` is up and an operator runs the CLI) only when it
 * is ours: the data directory's postmaster.pid names a live PostgreSQL of that directory
 * listening on that port. Anything else on the port is refused with a message naming it.
 */
export async function resolveDatabase(options: DatabaseOptions, log: (line: string) => void): Promise<Database> {
  if (options.databaseUrl) return { url: options.databaseUrl, stop: async () => {} };
  const dataDir = path.resolve(options.dataDir ?? EMBEDDED_POSTGRES.dataDir);
  const database = options.database ?? EMBEDDED_POSTGRES.database;
  const { port } = options;

  if (await usableRunningServer(dataDir, port)) {
    return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`, stop: async () => {} };
  }
  log(`Starting embedded PostgreSQL (data in ${shown(dataDir)}, port ${port})…`);
  // PostgreSQL's own log stays quiet; a failure to start carries its last lines.
  try {
    const server = await startEmbeddedPostgres({ dataDir, port, database });
    return { url: server.url, stop: () => server.stop() };
  } catch (err) {
    // Taken between the check and the start.
    if (await isListening(port)) throw new PortInUseError(await foreignPortMessage(port, dataDir));
    throw err;
  }
}

/** What resolveDatabase() would refuse, checked without starting anything. */
export async function checkDatabase(options: DatabaseOptions): Promise<void> {
  if (!options.databaseUrl)
    await usableRunningServer(path.resolve(options.dataDir ?? EMBEDDED_POSTGRES.dataDir), options.port);
}

/**
 * Throws (PortInUseError or DevSetupError, one line) when the embedded PostgreSQL cannot be
 * used on this port; true when ours is running there to share, false when it is to be started.
 */
async function usableRunningServer(dataDir: string, port: number): Promise<boolean> {
  const state = await inspectEmbeddedPostgres(dataDir, port);
  if (state.kind === 'foreign') throw new PortInUseError(await foreignPortMessage(port, dataDir));
  if (state.kind === 'elsewhere') {
    throw new DevSetupError(
      `The embedded PostgreSQL of ${shown(dataDir)} is already running on port ${state.port} (pid ${state.pid}), ` +
        `not on port ${port}. Set DEV_POSTGRES_PORT=${state.port} to share it, or stop it first.`,
    );
  }
  return state.kind === 'running';
}

type EmbeddedState =
  /** Nothing answers on the port (a server of ours on another port may be left over: the start clears it). */
  | { kind: 'free' }
  /** Ours, live, listening on the port: share it. */
  | { kind: 'running'; pid: number }
  /** Ours, live, started by another running launcher on another port. */
  | { kind: 'elsewhere'; pid: number; port: number }
  /** Something else answers on the port. */
  | { kind: 'foreign' };

export async function inspectEmbeddedPostgres(dataDir: string, port: number): Promise<EmbeddedState> {
  const ours = await liveServerOf(dataDir);
  if (await isListening(port)) {
    if (ours && ours.port === port && (await listensOn(ours.pid, port))) return { kind: 'running', pid: ours.pid };
    return { kind: 'foreign' };
  }
  // An orphan (parent gone: a launcher killed with SIGKILL) is stopped by startEmbeddedPostgres.
  if (ours && ours.port !== port && ours.ppid !== 1) return { kind: 'elsewhere', pid: ours.pid, port: ours.port };
  return { kind: 'free' };
}

/** Ours: a live server of this data directory (as far as /proc tells) that names its port. */
async function liveServerOf(dataDir: string): Promise<{ pid: number; port: number; ppid: number | null } | null> {
  const server = await postmasterOf(dataDir);
  if (!server || server.servesDataDir === false || !Number.isInteger(server.port)) return null;
  return { pid: server.pid, port: server.port, ppid: server.ppid };
}

/** Whether the process holds the socket listening on the port; true when /proc cannot tell. */
async function listensOn(pid: number, port: number): Promise<boolean> {
  const inodes = await listeningInodes(port);
  return inodes === null || (await holdsAnySocket(pid, inodes));
}

async function foreignPortMessage(port: number, dataDir: string): Promise<string> {
  const holders = await listeningProcesses(port);
  const named = holders && holders.length > 0 ? ` (${describeProcesses(holders)})` : '';
  const postgres = holders?.some((h) => /postgres/.test(h.command)) ? 'another PostgreSQL' : 'another process';
  return (
    `Port ${port}, wanted for the embedded PostgreSQL, is already in use by ${postgres}${named}, ` +
    `not one started from ${shown(dataDir)}. ` +
    'Set DEV_POSTGRES_PORT to another port, or DATABASE_URL to use your own database.'
  );
}

function shown(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : dir;
}
