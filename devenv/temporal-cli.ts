import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { exitWithProgress } from './child-progress';
import { DevSetupError } from './errors';

// v1.5.1 (Server 1.29.1, UI 2.42.1) is the newest tag whose go.mod has no `replace`
// directive, so it is the newest one `go install …@version` can build.
export const TEMPORAL_CLI_VERSION = '1.5.1';

export const TEMPORAL_CLI_INSTALL_HINT =
  "Install the Temporal CLI with `brew install temporal`, from Temporal's release archive " +
  '(https://github.com/temporalio/cli/releases), or with ' +
  `\`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\`, ` +
  'then put it on PATH or set TEMPORAL_CLI_PATH to its path.';

/** The project cannot get a Temporal server binary; the message says what to do, so callers print it without a stack. */
export class TemporalUnavailableError extends DevSetupError {
  override name = 'TemporalUnavailableError';
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export async function resolveTemporalCli(options: {
  projectRoot: string;
  /** TEMPORAL_CLI_PATH as parsed by loadConfig(). */
  configuredPath: string | null;
  log: (line: string) => void;
}): Promise<string | null> {
  const { projectRoot, log } = options;

  const fromEnv = options.configuredPath;
  if (fromEnv) {
    // An explicit choice that is wrong must not be papered over by another binary.
    if (!isExecutableFile(fromEnv)) {
      throw new TemporalUnavailableError(
        `TEMPORAL_CLI_PATH is set to ${fromEnv}, which is not an executable file. ` +
          'Point it at a Temporal CLI binary or unset it.',
      );
    }
    log(`Temporal CLI: using ${fromEnv} (TEMPORAL_CLI_PATH)`);
    return fromEnv;
  }

  const onPath = findExecutable('temporal');
  if (onPath) {
    log(`Temporal CLI: using ${onPath} (PATH)`);
    return onPath;
  }

  const binDir = path.join(projectRoot, '.tools', 'bin');
  const local = path.join(binDir, 'temporal');
  if (isExecutableFile(local)) {
    log(`Temporal CLI: using ${local}`);
    return local;
  }

  const go = findExecutable('go');
  if (!go) {
    log('Temporal CLI: not on PATH, not in .tools/bin, and Go is not installed to build it');
    return null;
  }
  await buildWithGo(go, binDir, log);
  if (!isExecutableFile(local)) {
    throw new TemporalUnavailableError(
      `go install reported success but ${local} is missing. ${TEMPORAL_CLI_INSTALL_HINT}`,
    );
  }
  log(`Temporal CLI: built ${local}`);
  return local;
}

const PROGRESS_INTERVAL_MS = 15_000;

async function buildWithGo(go: string, binDir: string, log: (line: string) => void): Promise<void> {
  log(
    `Temporal CLI: building v${TEMPORAL_CLI_VERSION} from source with Go into ${binDir} ` +
      "(3-4 minutes on 2 cores the first time; seconds once Go's caches are warm)",
  );
  const started = Date.now();
  const child = spawn(
    go,
    [
      'install',
      // -v names each package as it is compiled: counting them is the only progress Go reports.
      '-v',
      '-ldflags',
      // Without this the binary reports itself as 0.0.0-DEV.
      `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    ],
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
    throw new TemporalUnavailableError(
      `Building the Temporal CLI with Go failed (exit code ${exitCode}) after ${elapsed(started)}:\n` +
        `${otherLines.join('\n')}\n${TEMPORAL_CLI_INSTALL_HINT}`,
    );
  }
  log(`Temporal CLI: build finished in ${elapsed(started)} (${compiled} packages compiled)`);
}

function elapsed(since: number): string {
  const seconds = Math.round((Date.now() - since) / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
