import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config';
import { startEmbeddedPostgres } from '../../devenv/embedded-postgres';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer } from '../../devenv/temporal-dev-server';
import { resolveTimeSkippingServer } from '../../devenv/temporal-test-server';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { freePort } from '../../devenv/ports';

// Starts the real servers the suite runs against and hands their addresses to the test
// files through the environment (jest workers inherit it).

const ROOT = path.resolve(__dirname, '..', '..');
const quiet = () => {};

export default async function globalSetup(): Promise<void> {
  const pgPort = await freePort();
  const postgres = await startEmbeddedPostgres({
    dataDir: mkdtempSync(path.join(tmpdir(), 'ar-test-pg-')),
    port: pgPort,
    database: 'postgres',
  });
  process.env.TEST_PG_ADMIN_URL = postgres.url;

  const temporal = await startTemporalDevServer({
    cliPath: await resolveTemporalCli({ projectRoot: ROOT, configuredPath: loadConfig().temporal.cliPath, log: console.log }),
    port: await freePort(),
    uiPort: null,
    dbFile: null,
    namespace: 'default',
    searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
    log: quiet,
  });
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;

  const timeSkipping = await resolveTimeSkippingServer({ projectRoot: ROOT, log: console.log });
  if (timeSkipping) process.env.TEST_TIME_SKIPPING_SERVER = timeSkipping;

  (globalThis as { __servers__?: Array<{ stop(): Promise<void> }> }).__servers__ = [temporal, postgres];
}
