import net from 'node:net';
import path from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres';

/** Where and how the embedded PostgreSQL lives when DATABASE_URL is unset. */
export const EMBEDDED_POSTGRES = {
  dataDir: path.resolve(__dirname, '..', '.data', 'postgres'),
  port: 5488,
  database: 'appointment_reminders',
};

export interface Database {
  url: string;
  /** Stops the embedded server if this process started it; otherwise does nothing. */
  stop(): Promise<void>;
}

/**
 * The configured database, or the embedded one under `.data/`. When the embedded server is
 * already running (say `npm run dev` is up and an operator runs the CLI) it is shared, not
 * started twice.
 */
export async function resolveDatabase(databaseUrl: string | null, log: (line: string) => void): Promise<Database> {
  if (databaseUrl) return { url: databaseUrl, stop: async () => {} };
  const { dataDir, port, database } = EMBEDDED_POSTGRES;
  const url = `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`;
  if (await isListening(port)) return { url, stop: async () => {} };
  log(`Starting embedded PostgreSQL (data in ${path.relative(process.cwd(), dataDir) || dataDir}, port ${port})…`);
  // PostgreSQL's own log stays quiet; a failure to start carries its last lines.
  const server = await startEmbeddedPostgres({ dataDir, port, database });
  return { url: server.url, stop: () => server.stop() };
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
