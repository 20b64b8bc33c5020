import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from '../../devenv/ports';

// A port held by some other program: a separate Node process listening on 127.0.0.1, so the
// code under test sees a real foreign listener with its own pid and command line.

export interface ForeignListener {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startForeignListener(port?: number): Promise<ForeignListener> {
  const wanted = port ?? (await freePort());
  const script =
    "const s = require('net').createServer((c) => { c.on('error', () => {}); c.end('hello\\n'); });" +
    `s.listen(${wanted}, '127.0.0.1', () => console.log('listening'));`;
  // The script comes on stdin, so the holder's command line that messages show is short and known.
  const child: ChildProcess = spawn(process.execPath, ['-', 'foreign-listener'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin!.end(script);
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`foreign listener exited (${code}) before listening on ${wanted}`)));
    child.stdout!.once('data', () => resolve());
  });
  return {
    port: wanted,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
