import { ConfigError, loadConfig } from '../../config';

test('defaults when nothing is configured: embedded database, dev Temporal, simulated SMS', () => {
  expect(loadConfig({})).toEqual({
    port: 3000,
    databaseUrl: null,
    temporal: { address: null, namespace: 'default', taskQueue: 'reminders', cliPath: null },
    publicBaseUrl: 'http://localhost:3000',
    twilio: null,
    logLevel: 'info',
  });
});

test('reads every variable', () => {
  const config = loadConfig({
    PORT: '8080',
    DATABASE_URL: 'postgresql://u:p@db:5432/app',
    TEMPORAL_ADDRESS: 'temporal:7233',
    TEMPORAL_NAMESPACE: 'prod',
    TEMPORAL_TASK_QUEUE: 'rq',
    PUBLIC_BASE_URL: 'https://reminders.example.com/',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'secret',
    TWILIO_API_BASE_URL: 'http://localhost:4010',
  });
  expect(config).toMatchObject({
    port: 8080,
    publicBaseUrl: 'https://reminders.example.com',
    temporal: { address: 'temporal:7233', namespace: 'prod', taskQueue: 'rq' },
    twilio: { accountSid: `AC${'a'.repeat(32)}`, authToken: 'secret', apiBaseUrl: 'http://localhost:4010' },
  });
});

test('invalid configuration is reported as one line per problem', () => {
  let error: unknown;
  try {
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', TEMPORAL_ADDRESS: 'no-port', TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}` });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems).toEqual([
    'PORT: must be a port number between 1 and 65535',
    'DATABASE_URL: must be a postgresql:// URL',
    'TEMPORAL_ADDRESS: must be host:port, e.g. localhost:7233',
    'TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set together',
  ]);
});
