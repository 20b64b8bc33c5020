import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadConfig } from '../config';
import { resolveLinkSigningSecret } from '../config/link-signing-secret';
import { connectTemporal } from '../config/temporal-connection';
import { createPrismaClient } from '../db/client';
import { BackgroundWork } from '../lib/background-work';
import { createLogger } from '../lib/logger';
import { drainableHttpServer, stopOnSignals } from '../lib/shutdown';
import { createApp } from './app';

// The API process as a deployment runs it (one of several replicas behind a load balancer):
// HTTP only, against a database and a Temporal cluster that already exist. Migrations and
// search attributes are the worker's job at its start, so replicas never race on them.

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  const problems: string[] = [];
  if (!config.databaseUrl)
    problems.push('DATABASE_URL: required when the API runs alone (npm run dev starts everything together)');
  if (!config.temporal.address) problems.push('TEMPORAL_ADDRESS: required when the API runs alone');
  if (problems.length > 0) throw new ConfigError(problems);
  const address = config.temporal.address ?? '';
  const prisma = createPrismaClient(config.databaseUrl ?? '');
  const connection = await connectTemporal(Connection, config.temporal, address);
  const temporal = new Client({ connection, namespace: config.temporal.namespace });
  const linkSigningSecret = resolveLinkSigningSecret(config, (line) => log.warn(line));
  const background = new BackgroundWork(log);
  const app = createApp({ config: { ...config, linkSigningSecret }, prisma, temporal, log, background });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.port, () => resolve(listening)).once('error', reject);
  });
  const http = drainableHttpServer(server);
  log.info({ port: config.port, temporal: address, namespace: config.temporal.namespace }, 'API started');

  stopOnSignals(log, 'API', async () => {
    await http.close(log);
    // Signals of webhooks that have answered (each bounded to a couple of seconds).
    await background.idle();
    await connection.close();
    log.info('Temporal connection closed');
    await prisma.$disconnect();
    log.info('database connections closed');
  });
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError ? err.message : `API failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  process.exit(1);
});
