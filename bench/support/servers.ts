import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config';
import type { PrismaClient } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { startEmbeddedPostgres, type RunningPostgres } from '../../devenv/embedded-postgres';
import { freePort } from '../../devenv/ports';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer, type RunningDevServer } from '../../devenv/temporal-dev-server';
import { createApiKey } from '../../services/api-keys';
import { createPractice } from '../../services/practices';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';

// The servers every bench run (chaos, performance) starts for itself: an embedded PostgreSQL
// with the product's schema and a Temporal dev server whose state is a SQLite file in WAL mode
// (as `npm run dev` runs it, so a restart keeps every workflow), both in temp dirs of their own.

const ROOT = path.resolve(__dirname, '..', '..');

/** Steps that undo what a run started, run last-first; one failing does not stop the others. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown>> = [];

  constructor(private readonly log: (line: string) => void) {}

  push(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async runAll(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      await step().catch((err: unknown) => this.log(`cleanup: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
}

export interface BenchServers {
  /** A temp dir for the run's files, removed by the cleanup. */
  workDir: string;
  postgresUrl: string;
  temporalAddress: string;
  /** Stop and start again in place: same port, same data. */
  stopTemporal(): Promise<void>;
  startTemporal(): Promise<void>;
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
}

/** Starts both servers; everything started is registered with `cleanup`, temp dirs included. */
export async function startBenchServers(options: {
  /** Names the temp dirs and the database, e.g. "chaos". */
  name: string;
  cleanup: Cleanup;
  log: (line: string) => void;
}): Promise<BenchServers> {
  const { name, cleanup, log } = options;
  const workDir = mkdtempSync(path.join(tmpdir(), `ar-${name}-`));
  const pgDir = mkdtempSync(path.join(tmpdir(), `ar-${name}-pg-`));
  cleanup.push(() => rm(workDir, { recursive: true, force: true }));
  cleanup.push(() => rm(pgDir, { recursive: true, force: true }));
  // A harness that dies without its cleanup (a crash, the hard timeout) still leaves nothing
  // behind: the Temporal server and the product's processes kill themselves on exit; this takes
  // care of PostgreSQL (its postmaster.pid names it) and the temp dirs. Synchronous, as 'exit' needs.
  const onExit = (): void => {
    try {
      process.kill(Number(readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]), 'SIGQUIT');
    } catch {
      // not running
    }
    rmSync(workDir, { recursive: true, force: true });
    rmSync(pgDir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  cleanup.push(() => Promise.resolve(process.off('exit', onExit)));

  const postgresOptions = { dataDir: pgDir, port: await freePort(), database: name };
  let postgres: RunningPostgres = await startEmbeddedPostgres(postgresOptions);
  cleanup.push(() => postgres.stop());
  await applyMigrations(postgres.url);
  log(`PostgreSQL ready on port ${postgresOptions.port}`);

  const temporalOptions = {
    cliPath: await resolveTemporalCli({ projectRoot: ROOT, configuredPath: loadConfig().temporal.cliPath, log }),
    port: await freePort(),
    uiPort: null,
    dbFile: path.join(workDir, 'temporal.sqlite'),
    namespace: 'default',
    searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
    log,
  };
  let temporal: RunningDevServer = await startTemporalDevServer(temporalOptions);
  cleanup.push(() => temporal.stop());

  return {
    workDir,
    postgresUrl: postgres.url,
    temporalAddress: temporal.address,
    stopTemporal: () => temporal.stop(),
    async startTemporal() {
      temporal = await startTemporalDevServer(temporalOptions);
    },
    stopPostgres: () => postgres.stop(),
    async startPostgres() {
      postgres = await startEmbeddedPostgres(postgresOptions);
    },
  };
}

/**
 * A practice whose reminders go out at any hour of the run (quiet hours would move them),
 * and an API key for it.
 */
export async function createBenchPractice(
  prisma: PrismaClient,
  practice: { id: string; name: string; smsFrom: string; timeZone: string },
): Promise<{ apiKey: string }> {
  await createPractice(prisma, { ...practice, quietHours: null, helpPhone: '+390212345678' });
  const { key } = await createApiKey(prisma, practice.id);
  return { apiKey: key };
}
