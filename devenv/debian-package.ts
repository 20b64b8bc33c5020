import { spawn } from 'node:child_process';
import { exitWithProgress } from './child-progress';
import { findExecutable } from './temporal-cli';

/**
 * Finds `command` on PATH, else installs the Debian package that provides it when this process
 * may (root, apt-get present: CI and these machines). Returns the command's path, or null with
 * the reason logged, so the caller decides whether a missing tool skips a test or fails it.
 */
export async function ensureDebianPackage(options: {
  pkg: string;
  command: string;
  log: (line: string) => void;
}): Promise<string | null> {
  const { pkg, command, log } = options;
  const found = findExecutable(command);
  if (found) return found;
  if (process.getuid?.() !== 0 || findExecutable('apt-get') === null) {
    log(`${command}: not installed, and this process cannot install it (install the Debian package ${pkg})`);
    return null;
  }
  log(`${command}: installing the Debian package ${pkg} (apt-get, about a minute)`);
  // Package lists may be stale on a fresh machine: refresh them once if the first try fails.
  if ((await aptGet(['install', '-y', '--no-install-recommends', pkg], log)) !== 0) {
    await aptGet(['update'], log);
    if ((await aptGet(['install', '-y', '--no-install-recommends', pkg], log)) !== 0) {
      log(`${command}: apt-get could not install ${pkg}`);
      return null;
    }
  }
  return findExecutable(command);
}

async function aptGet(args: string[], log: (line: string) => void): Promise<number | null> {
  const child = spawn('apt-get', ['-q', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const started = Date.now();
  const code = await exitWithProgress(
    child,
    () => log(`  apt-get ${args[0]}: ${Math.round((Date.now() - started) / 1000)} s`),
    15_000,
  );
  if (code !== 0) log(`  apt-get ${args.join(' ')} failed: ${stderr.trim().split('\n').slice(-2).join(' ')}`);
  return code;
}
