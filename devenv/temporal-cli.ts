import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { DevSetupError } from './errors';
import { goInstall } from './go-install';

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

export function isExecutableFile(file: string): boolean {
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

async function buildWithGo(go: string, binDir: string, log: (line: string) => void): Promise<void> {
  log(
    `Temporal CLI: building v${TEMPORAL_CLI_VERSION} from source with Go into ${binDir} ` +
      "(3-4 minutes on 2 cores the first time; seconds once Go's caches are warm)",
  );
  try {
    await goInstall({
      go,
      binDir,
      packages: [`github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`],
      // Without this the binary reports itself as 0.0.0-DEV.
      ldflags: `-X github.com/temporalio/cli/temporalcli.Version=${TEMPORAL_CLI_VERSION}`,
      what: 'Temporal CLI',
      log,
    });
  } catch (err) {
    throw new TemporalUnavailableError(`${(err as Error).message}\n${TEMPORAL_CLI_INSTALL_HINT}`);
  }
}
