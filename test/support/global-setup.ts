import { loadConfig } from '../../config';
import { freePort } from '../../devenv/ports';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { startTemporalDevServer } from '../../devenv/temporal-dev-server';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { ROOT, setUpShared, stopAtTeardown, toolLog } from './setup-shared';

// The slow tier: what the fast tier has, plus a real Temporal dev server.
const quiet = () => {};

export default async function globalSetup(): Promise<void> {
  await setUpShared();
  const temporal = await startTemporalDevServer({
    cliPath: await resolveTemporalCli({
      projectRoot: ROOT,
      configuredPath: loadConfig().temporal.cliPath,
      log: toolLog,
    }),
    port: await freePort(),
    uiPort: null,
    dbFile: null,
    namespace: 'default',
    searchAttributes: APPOINTMENT_SEARCH_ATTRIBUTES,
    log: quiet,
  });
  stopAtTeardown(temporal);
  process.env.TEST_TEMPORAL_ADDRESS = temporal.address;
}
