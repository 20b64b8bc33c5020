import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../devenv/embedded-postgres';
import { freePort } from '../../devenv/ports';
import { resolveTimeSkippingServer } from '../../devenv/temporal-test-server';
import { buildWorkflowBundle } from './workflow-bundle';

// What both tiers need, started once per run however many tiers (jest projects) run: one
// PostgreSQL, the time-skipping server's path and the workflow bundle. Each tier's
// globalSetup calls this; the parts only the slow tier needs are started by its own setup.
// Addresses reach the test files through the environment (jest workers inherit it).

export const ROOT = path.resolve(__dirname, '..', '..');

interface Stoppable {
  stop(): Promise<void>;
}
type SetupGlobals = { __servers__?: Stoppable[]; __sharedSetup__?: Promise<void> };
const globals = globalThis as SetupGlobals;

/** devenv/provision-tools.ts already said which tools it uses; a fetch or build here is still worth reporting. */
export function toolLog(line: string): void {
  if (!line.includes(': using ')) console.log(line);
}

/** Registers something globalTeardown stops. */
export function stopAtTeardown(server: Stoppable): void {
  (globals.__servers__ ??= []).unshift(server);
}

export function setUpShared(): Promise<void> {
  globals.__sharedSetup__ ??= (async () => {
    const workDir = mkdtempSync(path.join(tmpdir(), 'ar-test-'));
    stopAtTeardown({ stop: () => rm(workDir, { recursive: true, force: true }) });

    // Inside workDir, so the cluster (~90 MB) goes with it once PostgreSQL has stopped.
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(workDir, 'postgres'),
      port: await freePort(),
      database: 'postgres',
    });
    stopAtTeardown(postgres);
    process.env.TEST_PG_ADMIN_URL = postgres.url;

    const timeSkipping = await resolveTimeSkippingServer({ projectRoot: ROOT, log: toolLog });
    if (timeSkipping) process.env.TEST_TIME_SKIPPING_SERVER = timeSkipping;

    await buildWorkflowBundle(workDir);
  })();
  return globals.__sharedSetup__;
}
