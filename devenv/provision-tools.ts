// Runs before the tests (devenv/bootstrap.sh test): builds or fetches the Temporal binaries the
// tests need now, so a missing tool fails here with one clear message rather than inside every suite.
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ConfigError, loadConfig } from '../config';
import { ensureDebianPackage } from './debian-package';
import { DevSetupError } from './errors';
import { freePort } from './ports';
import { resolveTemporalCli } from './temporal-cli';
import { rootCause, startTemporalDevServer, TemporalUnavailableError } from './temporal-dev-server';
import { resolveTemporalServer } from './temporal-server';
import { resolveTimeSkippingServer, TIME_SKIPPING_SERVER_INSTALL_HINT } from './temporal-test-server';

const projectRoot = path.resolve(__dirname, '..');
const log = (line: string): void => console.log(line);

async function main(): Promise<void> {
  // `npm run test:fast` runs no Temporal dev server, so it needs no Temporal CLI.
  const timeSkippingServerOnly = process.argv.includes('--time-skipping-server-only');
  const configuredPath = loadConfig().temporal.cliPath;
  if (!timeSkippingServerOnly && (await resolveTemporalCli({ projectRoot, configuredPath, log })) === null)
    await proveDevServerDownload();
  // Only test/e2e/cluster.test.ts runs the full server (on PostgreSQL); without Go it is skipped.
  if (!timeSkippingServerOnly && (await resolveTemporalServer({ projectRoot, log })) === null)
    log('Temporal server: test/e2e/cluster.test.ts will be skipped (install Go to build the full server)');
  if ((await resolveTimeSkippingServer({ projectRoot, log })) === null) await proveTestServerDownload();
  // test/deploy validates docker-compose.yml with it; a missing one is that test's to report.
  if (!timeSkippingServerOnly) await ensureDebianPackage({ pkg: 'docker-compose', command: 'docker-compose', log });
  // The Temporal UI test's browser (test/e2e/temporal-ui.test.ts skips without one, or fails in CI).
  if (!timeSkippingServerOnly) await ensureDebianPackage({ pkg: 'chromium', command: 'chromium', log });
}

// Without local binaries the tests rely on the SDK's download; doing it once here both proves it
// works and fills the SDK's download cache, which the tests then reuse.
async function proveDevServerDownload(): Promise<void> {
  const server = await startTemporalDevServer({
    cliPath: null,
    port: await freePort(),
    uiPort: null,
    dbFile: null,
    namespace: 'default',
    searchAttributes: [],
    log,
  });
  await server.stop();
}

async function proveTestServerDownload(): Promise<void> {
  log('Time-skipping test server: asking the SDK to download one');
  try {
    const environment = await TestWorkflowEnvironment.createTimeSkipping();
    await environment.teardown();
  } catch (error) {
    throw new TemporalUnavailableError(
      `Temporal's time-skipping test server is not in .tools, Java or Maven is missing to fetch it, ` +
        `and the SDK could not download it (${rootCause(error)}). ${TIME_SKIPPING_SERVER_INSTALL_HINT}`,
    );
  }
  log('Time-skipping test server: the SDK download works');
}

main().catch((error: unknown) => {
  if (error instanceof DevSetupError || error instanceof ConfigError) {
    console.error(`\nCannot run the tests: ${error.message}`);
    process.exit(1);
  }
  throw error;
});
