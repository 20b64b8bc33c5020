import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../devenv/ports';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startForeignListener, type ForeignListener } from './foreign-listener';

// `npm run dev`'s launcher as a process: a failed start prints only its error (no stack, no
// "Stopping… Stopped.", which is Ctrl-C's) and exits 1, stopping quietly what it had started.

const ROOT = path.resolve(__dirname, '..', '..');
let database: TestDatabase;
let foreign: ForeignListener;

beforeAll(async () => {
  database = await createTestDatabase('dev_launcher');
  foreign = await startForeignListener();
});
afterAll(async () => {
  await foreign?.stop();
  await database?.drop();
});

async function launch(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = { ...process.env };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_CLI_PATH', 'PORT']) delete inherited[name];
  for (const name of Object.keys(inherited)) if (name.startsWith('DEV_')) delete inherited[name];
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['devenv/dev.ts'], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

const holder = () => `pid ${foreign.pid}: node - foreign-listener`;

test('Temporal port taken: the one line naming DEV_TEMPORAL_PORT, nothing else', async () => {
  const run = await launch({
    DATABASE_URL: database.url,
    DEV_TEMPORAL_PORT: String(foreign.port),
    DEV_TEMPORAL_UI_PORT: String(await freePort()),
    PORT: String(await freePort()),
  });
  expect(run.stderr).toBe(
    `Port ${foreign.port}, wanted for the Temporal frontend, is already in use (by ${holder()}). ` +
      'Set DEV_TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS to use a running Temporal server.\n',
  );
  expect(run.stdout).not.toContain('Stopping');
  expect(run.code).toBe(1);
});

test('PostgreSQL and API ports taken: every problem at once, one line each, before anything starts', async () => {
  const second = await startForeignListener();
  try {
    const run = await launch({
      DEV_POSTGRES_PORT: String(foreign.port),
      DEV_TEMPORAL_PORT: String(await freePort()),
      DEV_TEMPORAL_UI_PORT: String(await freePort()),
      PORT: String(second.port),
    });
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `Port ${foreign.port}, wanted for the embedded PostgreSQL, is already in use by another process (${holder()}), ` +
        `not one started from .data/postgres. Set DEV_POSTGRES_PORT to another port, or DATABASE_URL to use your own database.`,
      `Port ${second.port}, wanted for the API, is already in use (by pid ${second.pid}: node - foreign-listener). Set PORT to another port.`,
    ]);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  } finally {
    await second.stop();
  }
});

test('a failure after parts have started: its error alone, and a quiet, prompt exit', async () => {
  // A "Temporal CLI" that fails at once, after the database is already in use.
  const cliDir = mkdtempSync(path.join(tmpdir(), 'ar-fake-temporal-'));
  const cli = path.join(cliDir, 'temporal');
  try {
    writeFileSync(cli, '#!/bin/sh\necho "temporal: cannot start (simulated)" >&2\nexit 3\n');
    chmodSync(cli, 0o755);
    const run = await launch({
      DATABASE_URL: database.url,
      TEMPORAL_CLI_PATH: cli,
      DEV_TEMPORAL_PORT: String(await freePort()),
      DEV_TEMPORAL_UI_PORT: String(await freePort()),
      PORT: String(await freePort()),
    });
    expect(run.stdout).toContain('[dev] Database ready');
    expect(run.stdout).not.toContain('Stopping');
    expect(run.stderr).toBe(
      `Temporal dev server ${cli} exited (exit code 3) before it was ready. ` +
        'Its last stderr lines:\ntemporal: cannot start (simulated)\n',
    );
    expect(run.code).toBe(1);
  } finally {
    rmSync(cliDir, { recursive: true, force: true });
  }
});
