import { promises as fs } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DevSetupError } from './errors';

/** A TCP port that was free a moment ago, for servers the tests start. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A port the dev tooling wants is taken; the message names what holds it and the setting to change. */
export class PortInUseError extends DevSetupError {
  override name = 'PortInUseError';
}

/**
 * Whether a server could listen on the port now. `host` undefined checks the wildcard
 * address, as Express's `app.listen(port)` binds it.
 */
export async function isPortFree(port: number, host?: string): Promise<boolean> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, ...(host === undefined ? {} : { host }), exclusive: true }, resolve);
    });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') return false;
    throw error;
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * "Port 7233, wanted for the Temporal frontend, is already in use (pid 12: python3 -m …). <remedy>"
 * as a PortInUseError when the port is taken; nothing when it is free.
 */
export async function assertPortFree(
  port: number,
  options: { purpose: string; remedy: string; host?: string },
): Promise<void> {
  if (await isPortFree(port, options.host)) return;
  throw new PortInUseError(await portInUseMessage(port, options.purpose, options.remedy));
}

export async function portInUseMessage(port: number, purpose: string, remedy: string): Promise<string> {
  const holders = await listeningProcesses(port);
  const by = holders === null || holders.length === 0 ? '' : ` (by ${describeProcesses(holders)})`;
  return `Port ${port}, wanted for the ${purpose}, is already in use${by}. ${remedy}`;
}

export interface PortHolder {
  pid: number;
  /** Its command line, shortened; '' when unreadable. */
  command: string;
}

/**
 * The processes listening on a TCP port of this machine, read from Linux's /proc: the
 * listening sockets' inodes from /proc/net/tcp{,6}, then the processes whose descriptors
 * point at them. null where that is unknowable (no /proc, as on macOS); an empty list when
 * the holder's descriptors are unreadable (another user's process, without root).
 */
export async function listeningProcesses(port: number): Promise<PortHolder[] | null> {
  const inodes = await listeningInodes(port);
  if (inodes === null) return null;
  if (inodes.size === 0) return [];
  const holders: PortHolder[] = [];
  const pids = (await fs.readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  await Promise.all(
    pids.map(async (pid) => {
      if (await holdsAnySocket(Number(pid), inodes))
        holders.push({ pid: Number(pid), command: await commandLine(Number(pid)) });
    }),
  );
  return holders.sort((a, b) => a.pid - b.pid);
}

/** The inodes of the sockets listening on a TCP port (Linux); null without /proc. */
export async function listeningInodes(port: number): Promise<Set<string> | null> {
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const content = await fs.readFile(table, 'utf8').catch(() => null);
    if (content === null) continue;
    readAny = true;
    for (const line of content.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue; // 0A: LISTEN
      const localPort = Number.parseInt(fields[1].split(':')[1] ?? '', 16);
      if (localPort === port) inodes.add(fields[9]);
    }
  }
  return readAny ? inodes : null;
}

/** Whether the process has a descriptor on one of these socket inodes (false when unreadable). */
export async function holdsAnySocket(pid: number, inodes: ReadonlySet<string>): Promise<boolean> {
  const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    const target = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && inodes.has(inode)) return true;
  }
  return false;
}

/** Its command line as `ps` would show it, the program by its name rather than its path. */
export async function commandLine(pid: number): Promise<string> {
  const raw = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const [program = '', ...args] = raw.split('\0').filter(Boolean);
  const command = [path.basename(program), ...args].join(' ');
  return command.length > 120 ? `${command.slice(0, 119)}…` : command;
}

export function describeProcesses(holders: PortHolder[]): string {
  return holders.map((h) => (h.command ? `pid ${h.pid}: ${h.command}` : `pid ${h.pid}`)).join('; ');
}
