import { freePort, PortInUseError } from '../../devenv/ports';
import { startTemporalDevServer } from '../../devenv/temporal-dev-server';
import { startForeignListener, type ForeignListener } from './foreign-listener';

// A taken port stops the Temporal dev server before anything is spawned, with a message naming
// what holds the port and the setting that moves the dev server elsewhere.

let foreign: ForeignListener;
beforeAll(async () => {
  foreign = await startForeignListener();
});
afterAll(async () => {
  await foreign?.stop();
});

const start = (port: number, uiPort: number | null) =>
  startTemporalDevServer({
    // Never run: the port check comes first.
    cliPath: '/nonexistent/temporal',
    port,
    uiPort,
    dbFile: null,
    namespace: 'default',
    searchAttributes: [],
    log: () => {},
  }).catch((err: unknown) => err);

const holder = () => `(by pid ${foreign.pid}: node - foreign-listener)`;

test('frontend port taken: names DEV_TEMPORAL_PORT and TEMPORAL_ADDRESS', async () => {
  const error = await start(foreign.port, await freePort());
  expect(error).toBeInstanceOf(PortInUseError);
  expect((error as Error).message).toBe(
    `Port ${foreign.port}, wanted for the Temporal frontend, is already in use ${holder()}. ` +
      'Set DEV_TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS to use a running Temporal server.',
  );
});

test('Web UI port taken: names DEV_TEMPORAL_UI_PORT', async () => {
  const error = await start(await freePort(), foreign.port);
  expect((error as Error).message).toBe(
    `Port ${foreign.port}, wanted for the Temporal Web UI, is already in use ${holder()}. ` +
      'Set DEV_TEMPORAL_UI_PORT to another port, or TEMPORAL_ADDRESS to use a running Temporal server.',
  );
});

test('both taken: one line each', async () => {
  const second = await startForeignListener();
  try {
    const error = await start(foreign.port, second.port);
    const lines = (error as Error).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('Set DEV_TEMPORAL_PORT');
    expect(lines[1]).toContain('Set DEV_TEMPORAL_UI_PORT');
  } finally {
    await second.stop();
  }
});
