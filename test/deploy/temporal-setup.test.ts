import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig } from '../../config';
import { resolveTemporalCli } from '../../devenv/temporal-cli';
import { ROOT, serviceEnvironment } from './compose-file';

// The compose file's temporal-setup job (deploy/temporal/setup-namespace.sh), run as compose
// runs it, with its environment from docker-compose.yml, against the tests' Temporal server:
// it creates the namespace, registers the contract's search attributes, and a second run (every
// `docker compose up`) changes nothing and succeeds.

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'deploy', 'temporal', 'setup-namespace.sh');
const { IndexedValueType } = temporal.api.enums.v1;

let connection: Connection;
let cliDirectory: string;

beforeAll(async () => {
  const cli = await resolveTemporalCli({
    projectRoot: ROOT,
    configuredPath: loadConfig().temporal.cliPath,
    log: () => {},
  });
  if (!cli) throw new Error('the temporal CLI is missing: devenv/provision-tools.ts provides it before the tests');
  cliDirectory = path.dirname(cli);
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
});

afterAll(() => connection?.close());

async function setUp(namespace: string): Promise<string> {
  const env = serviceEnvironment('temporal-setup', { TEMPORAL_NAMESPACE: namespace });
  const { stdout } = await run('/bin/sh', [SCRIPT], {
    env: {
      ...env,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
      PATH: `${cliDirectory}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
    },
  });
  return stdout;
}

it('creates the namespace and registers the search attributes, and a second run changes nothing', async () => {
  const namespace = `deploy-${randomBytes(4).toString('hex')}`;
  const first = await setUp(namespace);
  expect(first).toContain(`Namespace ${namespace}: created`);

  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  expect(customAttributes).toMatchObject({
    PracticeId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    AppointmentId: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    AppointmentStatus: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    AppointmentStartsAt: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  });

  const second = await setUp(namespace);
  expect(second).toContain(`Namespace ${namespace}: exists`);
  expect(second).not.toContain('registered now');
  expect(second.match(/: registered$/gm)).toHaveLength(4);
});
