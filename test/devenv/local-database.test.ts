import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { resolveDatabase } from '../../devenv/local-database';
import { freePort, isListening, PortInUseError } from '../../devenv/ports';
import { startPostgresProcess, type PostgresProcess } from './embedded-postgres-process';
import { startForeignListener } from './foreign-listener';

// The embedded PostgreSQL is shared only when it is ours; whatever else holds its port is
// refused by name, never used. Real processes and ports throughout.

// Each test's data directory goes after the run (a PostgreSQL cluster is ~50 MB).
const tempDirs: string[] = [];
const tempDataDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ar-devenv-pg-'));
  tempDirs.push(dir);
  return path.join(dir, 'data');
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
const quiet = () => {};

test('a foreign listener on the port is refused, naming it and the settings, and nothing is started', async () => {
  const foreign = await startForeignListener();
  try {
    const dataDir = tempDataDir();
    const error = await resolveDatabase({ databaseUrl: null, port: foreign.port, dataDir }, quiet).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toBe(
      `Port ${foreign.port}, wanted for the embedded PostgreSQL, is already in use by another process ` +
        `(pid ${foreign.pid}: ${path.basename(process.execPath)} - foreign-listener), ` +
        `not one started from ${dataDir}. Set DEV_POSTGRES_PORT to another port, or DATABASE_URL to use your own database.`,
    );
    expect(existsSync(dataDir)).toBe(false);
  } finally {
    await foreign.stop();
  }
});

describe('with an embedded PostgreSQL running from one data directory', () => {
  let ours: PostgresProcess;
  let oursDir: string;
  let port: number;

  beforeAll(async () => {
    oursDir = tempDataDir();
    port = await freePort();
    ours = await startPostgresProcess(oursDir, port);
  });
  afterAll(async () => {
    await ours?.stop();
  });

  test('another data directory on that port is refused: it is another PostgreSQL, not ours', async () => {
    const otherDir = tempDataDir();
    const error = await resolveDatabase({ databaseUrl: null, port, dataDir: otherDir }, quiet).catch(
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Port ${port}, wanted for the embedded PostgreSQL, is already in use by another PostgreSQL \\(pid \\d+: postgres -D ${oursDir} .*\\), ` +
          `not one started from ${otherDir}\\. Set DEV_POSTGRES_PORT to another port, or DATABASE_URL to use your own database\\.$`,
      ),
    );
  });

  test('its own data directory shares it, and stop() leaves it running', async () => {
    const log: string[] = [];
    const shared = await resolveDatabase({ databaseUrl: null, port, dataDir: oursDir }, (line) => log.push(line));
    expect(log).toEqual([]); // nothing started
    expect(shared.url).toBe(`postgresql://postgres:postgres@127.0.0.1:${port}/appointment_reminders`);
    const client = new Client({ connectionString: shared.url });
    await client.connect();
    await client.end();
    await shared.stop();
    expect(await isListening(port)).toBe(true);
  });

  test('its own data directory with another port says where it runs instead of starting a second one', async () => {
    const otherPort = await freePort();
    const error = await resolveDatabase({ databaseUrl: null, port: otherPort, dataDir: oursDir }, quiet).catch(
      (err: unknown) => err,
    );
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The embedded PostgreSQL of ${oursDir} is already running on port ${port} \\(pid \\d+\\), not on port ${otherPort}\\. ` +
          `Set DEV_POSTGRES_PORT=${port} to share it, or stop it first\\.$`,
      ),
    );
    expect(await isListening(otherPort)).toBe(false);
  });
});

test('DATABASE_URL wins: nothing is inspected or started', async () => {
  const foreign = await startForeignListener();
  try {
    const url = 'postgresql://u:p@db.example:5432/app';
    const database = await resolveDatabase({ databaseUrl: url, port: foreign.port }, quiet);
    expect(database.url).toBe(url);
  } finally {
    await foreign.stop();
  }
});
