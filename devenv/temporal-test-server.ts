import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findExecutable, TemporalUnavailableError } from './temporal-cli';
import { exitWithProgress } from './child-progress';

// The time-skipping test server ships only as part of Temporal's Java SDK.
export const TEST_SERVER_VERSION = '1.31.0';

export const TIME_SKIPPING_SERVER_INSTALL_HINT =
  'Install a Java runtime and Maven (e.g. `apt-get install openjdk-17-jre-headless maven` or ' +
  '`brew install openjdk maven`) so the project can fetch it from Maven Central, ' +
  'or give the machine access to temporal.download so the SDK can download it.';

const POM = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by temporal/test-server.ts: only used to fetch the test server's classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.appointment-reminders</groupId>
  <artifactId>temporal-test-server-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>${TEST_SERVER_VERSION}</version>
    </dependency>
    <!-- Gives SLF4J a binding: without one it prints a three-line warning on every server start. -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <!-- Pinned so Maven does not resolve "latest" from remote metadata on every machine. -->
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>3.8.1</version>
      </plugin>
    </plugins>
  </build>
</project>
`;

// exec keeps the PID the SDK launched, so the SDK's shutdown stops the JVM itself.
const WRAPPER = `#!/bin/sh
# Temporal time-skipping test server ${TEST_SERVER_VERSION}, classpath fetched by temporal/test-server.ts.
lib="$(dirname "$0")/../lib"
exec java -cp "$lib/*" io.temporal.testserver.TestServer "$@"
`;

const PROGRESS_INTERVAL_MS = 5_000;

/**
 * Path of an executable that runs the time-skipping test server (the SDK calls it with
 * `<port> --enable-time-skipping`), or null when Java or Maven is missing to make one.
 */
export async function resolveTimeSkippingServer(options: {
  projectRoot: string;
  log: (line: string) => void;
}): Promise<string | null> {
  const { projectRoot, log } = options;
  const dir = path.join(projectRoot, '.tools', 'temporal-test-server');
  const wrapper = path.join(dir, 'bin', 'temporal-test-server');

  // Reuse only what this file would write now: another pom (version, jars) means fetching again.
  if (sameContent(path.join(dir, 'pom.xml'), POM) && sameContent(wrapper, WRAPPER)) {
    log(`Time-skipping test server: using ${wrapper}`);
    return wrapper;
  }

  const java = findExecutable('java');
  const mvn = findExecutable('mvn');
  if (!java || !mvn) {
    log(`Time-skipping test server: not in .tools and ${java ? 'Maven' : 'Java'} is not installed to fetch it`);
    return null;
  }

  log(
    `Time-skipping test server: fetching io.temporal:temporal-test-server:${TEST_SERVER_VERSION} with Maven into ${dir}`,
  );
  // The wrapper marks a complete fetch, so it goes until this one completes; old jars go so that
  // two versions never share the classpath.
  rmSync(wrapper, { force: true });
  rmSync(path.join(dir, 'lib'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  writeFileSync(path.join(dir, 'pom.xml'), POM);
  await copyDependencies(mvn, dir, log);

  writeFileSync(wrapper, WRAPPER);
  chmodSync(wrapper, 0o755);
  log(`Time-skipping test server: wrote ${wrapper}`);
  return wrapper;
}

async function copyDependencies(mvn: string, dir: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const child = spawn(
    mvn,
    // -Dstyle.color=never: some Maven builds colour batch output, which would hide the [ERROR] prefix.
    ['-B', '-Dstyle.color=never', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );

  // Maven prints a line per file transferred: count them for progress, keep errors for the failure message.
  let downloaded = 0;
  const errors: string[] = [];
  let partial = '';
  const onData = (chunk: string): void => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.includes('Downloaded from ')) downloaded++;
      else if (line.startsWith('[ERROR]')) errors.push(line);
    }
  };
  child.stdout.setEncoding('utf8').on('data', onData);
  child.stderr.setEncoding('utf8').on('data', onData);

  const exitCode = await exitWithProgress(
    child,
    () => log(`  … ${downloaded} files downloaded from Maven Central (${Math.round((Date.now() - started) / 1000)} s)`),
    PROGRESS_INTERVAL_MS,
  );

  if (exitCode !== 0) {
    throw new TemporalUnavailableError(
      `Fetching Temporal's time-skipping test server with Maven failed (exit code ${exitCode}):\n` +
        `${errors.slice(0, 20).join('\n')}\n${TIME_SKIPPING_SERVER_INSTALL_HINT}`,
    );
  }
  log(
    `Time-skipping test server: ${readdirSync(path.join(dir, 'lib')).length} jars in place after ${Math.round((Date.now() - started) / 1000)} s ` +
      `(${downloaded} files downloaded)`,
  );
}

function sameContent(file: string, expected: string): boolean {
  return existsSync(file) && readFileSync(file, 'utf8') === expected;
}
