import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DockerfileParser, type Instruction, type JSONInstruction } from 'dockerfile-ast';
import { Client as PgClient } from 'pg';
import { freePort } from '../../devenv/ports';
import { appointmentRequests } from '../support/appointment-request';
import { readComposeFile, ROOT } from './compose-file';

// The Dockerfile, without Docker: its instructions are read with dockerfile-ast and checked,
// then its build steps run here as written (COPY of the git-tracked files the build context
// would hold, every RUN in its stage's directory, stages derived from each other as in the
// Dockerfile), and the resulting image layout boots: its worker migrates a new database and
// registers with Temporal, its CLI creates a practice and a key, its API takes an appointment,
// and its worker runs that appointment's workflow.

const execFileAsync = promisify(execFile);
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(DOCKERFILE);

interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

function stages(): Stage[] {
  const found: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === 'FROM') {
      const [image, as, name] = instruction.getArgumentsContent()?.split(/\s+/) ?? [];
      if (as?.toUpperCase() !== 'AS' || !name || !image) throw new Error(`unnamed stage: ${instruction.toString()}`);
      found.push({ name, from: image, instructions: [] });
    } else if (found.length > 0) found.at(-1)!.instructions.push(instruction);
  }
  return found;
}

const allStages = stages();
const finalStage = allStages.at(-1)!;
const keywordArguments = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

/** A RUN or COPY without its flags (--mount=…, --from=…), as the shell or the copy sees it. */
function withoutFlags(instruction: Instruction): string {
  const flags = (instruction as JSONInstruction).getFlags?.() ?? [];
  let text = instruction.getArgumentsContent() ?? '';
  for (const flag of flags) text = text.replace(flag.toString(), '');
  return text.replace(/\\\n/g, ' ').trim();
}

function flag(instruction: Instruction, name: string): string | null {
  const found = ((instruction as JSONInstruction).getFlags?.() ?? []).find((f) => f.getName() === name);
  return found ? found.getValue() : null;
}

describe('Dockerfile', () => {
  it('runs as an unprivileged user in the final stage', () => {
    const users = keywordArguments(finalStage, 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
  });

  it('ships production dependencies only: node_modules come from an npm ci --omit=dev stage', () => {
    const copies = finalStage.instructions.filter(
      (i) => i.getKeyword() === 'COPY' && /node_modules/.test(withoutFlags(i)),
    );
    expect(copies).toHaveLength(1);
    const source = allStages.find((stage) => stage.name === flag(copies[0], 'from'));
    const installs = keywordArguments(source!, 'RUN').filter((run) => /\bnpm (ci|install)\b(?!.*--global)/.test(run));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/\bnpm ci\b.*--omit=dev/);
  });

  it('starts the API by default and the worker in compose, from files it copies', () => {
    const cmd = keywordArguments(finalStage, 'CMD').at(-1);
    expect(JSON.parse(cmd ?? '[]')).toEqual(['node', '--import', 'tsx', 'api/server.ts']);
    const copied = finalStage.instructions
      .filter((i) => i.getKeyword() === 'COPY' && !flag(i, 'from'))
      .flatMap((i) => withoutFlags(i).split(/\s+/).slice(0, -1));
    for (const entry of ['api/server.ts', 'worker.ts', 'cli/main.ts', 'deploy/healthcheck.js', 'prisma/migrations']) {
      expect([entry, copied.some((source) => entry === source || entry.startsWith(`${source}/`))]).toEqual([
        entry,
        true,
      ]);
    }
    expect(keywordArguments(finalStage, 'HEALTHCHECK').at(-1)).toMatch(/deploy\/healthcheck\.js/);
    const compose = readComposeFile();
    expect(compose.services.worker?.command).toEqual([
      'node',
      '--max-old-space-size=384',
      '--import',
      'tsx',
      'worker.ts',
    ]);
  });
});

// ---- The build, outside Docker ------------------------------------------------------------

interface BuiltStage {
  /** The stage's filesystem root: its WORKDIR /app is <root>/app, npm's global prefix <root>/usr/local. */
  root: string;
  workdir: string;
  env: Record<string, string>;
}

const dockerignore = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^$()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?')
          .replace(/\*/g, '[^/]*')}(/|$)`,
      ),
  );

/** What `COPY <source>` takes from the build context: the tracked files (a fresh clone) that .dockerignore lets in. */
function contextFiles(source: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--', source], { cwd: ROOT, encoding: 'utf8' });
  return listed.split('\0').filter((file) => file && !dockerignore.some((pattern) => pattern.test(file)));
}

/**
 * A stage built on another, and COPY --from, as hard links: the same files at no cost (the
 * node_modules of the image are 700 MB). No step here rewrites a file in place, so the stages
 * stay apart as Docker's layers do.
 */
function linkTree(source: string, destination: string): void {
  execFileSync('cp', ['-al', source, destination]);
}

function inStage(stage: BuiltStage, target: string): string {
  return path.join(stage.root, path.isAbsolute(target) ? target : path.join(stage.workdir, target));
}

async function build(dir: string, log: (line: string) => void): Promise<BuiltStage> {
  const args: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const [name, value] = (arg.getArgumentsContent() ?? '').split('=');
    if (name) args[name] = value ?? '';
  }
  const built = new Map<string, BuiltStage>();
  for (const stage of allStages) {
    const started = Date.now();
    const parent = built.get(stage.from);
    const root = path.join(dir, stage.name);
    if (parent) linkTree(parent.root, root);
    else mkdirSync(root, { recursive: true });
    const current: BuiltStage = { root, workdir: parent?.workdir ?? '/', env: { ...(parent?.env ?? {}) } };
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const text = withoutFlags(instruction);
      switch (keyword) {
        case 'ARG': {
          const [name, value] = text.split('=');
          if (name) args[name] = args[name] ?? value ?? '';
          break;
        }
        case 'ENV': {
          const [name, value] = text.split('=');
          if (name) current.env[name] = value ?? '';
          break;
        }
        case 'WORKDIR':
          current.workdir = text;
          mkdirSync(inStage(current, '.'), { recursive: true });
          break;
        case 'COPY': {
          const [target, ...sources] = text.split(/\s+/).reverse();
          const from = flag(instruction, 'from');
          for (const source of sources.reverse()) {
            const destination = target.endsWith('/')
              ? path.join(inStage(current, target), path.basename(source))
              : inStage(current, target);
            if (from) {
              mkdirSync(path.dirname(destination), { recursive: true });
              linkTree(inStage(built.get(from)!, source), destination);
              continue;
            }
            const files = contextFiles(source);
            if (files.length === 0) throw new Error(`COPY ${source}: nothing in the build context`);
            for (const file of files) {
              const relative = file === source ? '' : path.relative(source, file);
              const into = relative ? path.join(destination, relative) : destination;
              mkdirSync(path.dirname(into), { recursive: true });
              cpSync(path.join(ROOT, file), into);
            }
          }
          break;
        }
        case 'RUN': {
          const prefix = path.join(root, 'usr', 'local');
          const ran = Date.now();
          await execFileAsync('/bin/sh', ['-c', text], {
            cwd: inStage(current, '.'),
            maxBuffer: 64 * 1024 * 1024,
            env: {
              ...process.env,
              ...args,
              ...current.env,
              // npm's global prefix: /usr/local in the image, this stage's copy of it here.
              npm_config_prefix: prefix,
              PATH: `${path.join(prefix, 'bin')}:${process.env.PATH ?? ''}`,
            },
          });
          log(`  ${stage.name}: RUN ${text.slice(0, 60)}… ${Math.round((Date.now() - ran) / 1000)} s`);
          break;
        }
        case 'USER':
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'CMD':
          break;
        default:
          throw new Error(`the build emulation does not know ${keyword}: teach it before using it in the Dockerfile`);
      }
    }
    built.set(stage.name, current);
    log(`stage ${stage.name}: ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return built.get(finalStage.name)!;
}

describe('the Dockerfile build, run outside Docker', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'image-'));
  const timings: string[] = [];
  let image: BuiltStage;
  const children: ChildProcess[] = [];
  const databaseName = `deploy_image_${Date.now().toString(36)}`;
  const adminUrl = process.env.TEST_PG_ADMIN_URL!;
  const databaseUrl = Object.assign(new URL(adminUrl), { pathname: `/${databaseName}` }).toString();

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    const started = Date.now();
    const admin = new PgClient({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
    timings.push(`clean-up: ${Math.round((Date.now() - started) / 1000)} s`);
    // 40,000 files per stage take this disk two minutes to unlink: that happens in the
    // background while the next test file runs, not on this test's clock.
    spawn('rm', ['-rf', dir], { detached: true, stdio: 'ignore' }).unref();
    console.log(`Dockerfile build outside Docker:\n${timings.join('\n')}`);
  }, 300_000);

  it('builds: every stage, every RUN', async () => {
    image = await build(dir, (line) => timings.push(line));
    const app = inStage(image, '.');
    expect(existsSync(path.join(app, 'generated', 'prisma', 'client.ts'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(true);
    // --omit=dev: jest, eslint and the test-only packages are not in the image.
    for (const dev of ['jest', 'eslint', '@temporalio/testing', 'playwright-core']) {
      expect([dev, existsSync(path.join(app, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(existsSync(path.join(app, 'test'))).toBe(false);
    expect(existsSync(path.join(app, 'devenv'))).toBe(false);
  }, 600_000);

  it('boots: the worker migrates and registers, the CLI makes a key, the API takes an appointment, the worker runs it', async () => {
    expect(image).toBeDefined();
    const app = inStage(image, '.');
    const taskQueue = `deploy-image-${Date.now().toString(36)}`;
    // Only what the image and compose give the container: its ENV, and the app's settings.
    const base = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      ...image.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS!,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LOG_LEVEL: 'warn',
    };
    const [workerPort, apiPort] = [await freePort(), await freePort()];
    const [command, ...args] = JSON.parse(keywordArguments(finalStage, 'CMD').at(-1)!) as string[];
    const started = Date.now();
    const worker = start(app, ['node', '--import', 'tsx', 'worker.ts'], {
      ...base,
      WORKER_HTTP_PORT: String(workerPort),
    });
    children.push(worker.child);
    await healthy(app, { ...base, WORKER_HTTP_PORT: String(workerPort), PORT: '1' }, worker);
    timings.push(
      `worker healthy (migrated, registered, workflows bundled): ${Math.round((Date.now() - started) / 1000)} s`,
    );

    const cli = async (...argv: string[]) =>
      (await execFileAsync('node', ['--import', 'tsx', 'cli/main.ts', ...argv], { cwd: app, env: base })).stdout;
    await cli(
      'practice',
      'create',
      '--id',
      'image',
      '--name',
      'Image Clinic',
      '--sms-from',
      '+15005550006',
      '--time-zone',
      'Europe/Rome',
    );
    const key = /ark_\S+/.exec(await cli('apikey', 'create', '--practice', 'image'))?.[0];
    expect(key).toBeDefined();
    timings.push(`CLI: practice and key created: ${Math.round((Date.now() - started) / 1000)} s`);

    const api = start(app, [command, ...args], { ...base, PORT: String(apiPort) });
    children.push(api.child);
    await healthy(app, { ...base, PORT: String(apiPort), WORKER_HTTP_PORT: '1' }, api);
    timings.push(`API healthy: ${Math.round((Date.now() - started) / 1000)} s`);

    const request = appointmentRequests('IMG')();
    const response = await fetch(`http://127.0.0.1:${apiPort}/v1/appointments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    const view = (await response.json()) as { workflowId: string };
    expect(response.status).toBe(201);

    const connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
    try {
      const handle = new Client({ connection }).workflow.getHandle(view.workflowId);
      const deadline = Date.now() + 30_000;
      let ran = false;
      while (!ran && Date.now() < deadline) {
        const history = await handle.fetchHistory();
        ran = (history.events ?? []).some((event) => event.workflowTaskCompletedEventAttributes);
        if (!ran) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(ran).toBe(true);
      timings.push(
        `appointment created, its workflow run by the worker: ${Math.round((Date.now() - started) / 1000)} s`,
      );
    } finally {
      await connection.close();
    }

    // Docker stops a container with SIGTERM: both processes end cleanly.
    for (const proc of [api, worker]) {
      proc.child.kill('SIGTERM');
      const code = await Promise.race([
        proc.exited,
        new Promise((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
      ]);
      expect(code).toBe(0);
    }
    timings.push(`both stopped by SIGTERM: ${Math.round((Date.now() - started) / 1000)} s`);
  }, 240_000);
});

function start(cwd: string, argv: string[], env: Record<string, string>) {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Waits until the image's own health check (deploy/healthcheck.js) passes, as Docker would poll it. */
async function healthy(app: string, env: Record<string, string>, proc: ReturnType<typeof start>): Promise<void> {
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`exited with ${proc.child.exitCode}:\n${proc.output()}`);
    try {
      await execFileAsync('node', ['deploy/healthcheck.js'], { cwd: app, env });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`not healthy after 150 s:\n${proc.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
