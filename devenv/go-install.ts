import { spawn } from 'node:child_process';
import { exitWithProgress } from './child-progress';

// `go install <module path>@<version>` with progress: a first build of a Temporal binary takes
// minutes on two cores and Go prints nothing but package names while it works.

const PROGRESS_INTERVAL_MS = 15_000;

export interface GoInstallOptions {
  go: string;
  /** GOBIN: where the binaries land, each named after its package's last path element. */
  binDir: string;
  packages: string[];
  /** e.g. `-X …Version=1.5.1`. */
  ldflags?: string;
  /** How log lines name what is built ("Temporal CLI"). */
  what: string;
  log: (line: string) => void;
}

/** Resolves when the build succeeded; otherwise rejects with Go's last diagnostics (an Error whose message says what failed). */
export async function goInstall(options: GoInstallOptions): Promise<void> {
  const { go, binDir, packages, ldflags, what, log } = options;
  const started = Date.now();
  const child = spawn(
    go,
    // -v names each package as it is compiled: counting them is the only progress Go reports.
    ['install', '-v', ...(ldflags ? ['-ldflags', ldflags] : []), ...packages],
    { env: { ...process.env, GOBIN: binDir }, stdio: ['ignore', 'ignore', 'pipe'] },
  );

  let compiled = 0;
  let downloaded = 0;
  const otherLines: string[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('go: downloading ')) downloaded++;
      // A bare import path is -v's "compiled this package"; anything else is a diagnostic.
      else if (/^[\w.~/-]+$/.test(line)) compiled++;
      else if (line.trim() !== '') otherLines.push(line);
    }
    otherLines.splice(0, Math.max(0, otherLines.length - 30));
  });

  const exitCode = await exitWithProgress(
    child,
    () => log(`  … ${compiled} packages compiled, ${downloaded} modules downloaded (${elapsed(started)})`),
    PROGRESS_INTERVAL_MS,
  );

  if (exitCode !== 0) {
    if (partial.trim() !== '') otherLines.push(partial);
    throw new Error(
      `Building the ${what} with Go failed (exit code ${exitCode}) after ${elapsed(started)}:\n${otherLines.join('\n')}`,
    );
  }
  log(`${what}: build finished in ${elapsed(started)} (${compiled} packages compiled)`);
}

export function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
