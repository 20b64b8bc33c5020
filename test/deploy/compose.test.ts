import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, WORKER_CAPACITY_VARIABLES } from '../../config';
import { findExecutable } from '../../devenv/temporal-cli';
import { APPOINTMENT_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { COMPOSE_FILE, interpolate, readComposeFile, ROOT, serviceEnvironment } from './compose-file';

// docker-compose.yml, checked without Docker: a real compose parser (Debian's docker-compose,
// which devenv/provision-tools.ts installs) validates it, and the checks below hold it to what
// the product needs from it.

const run = promisify(execFile);
const compose = readComposeFile();
const services = compose.services;

// Processes that run until stopped, and one-shot jobs that others wait for.
const LONG_RUNNING = ['postgres', 'temporal', 'temporal-ui', 'worker', 'api'];
const JOBS = ['temporal-schema', 'temporal-setup'];
const APP = ['worker', 'api'];

// Settings config/index.ts reads that a deployment never sets: the development tooling's.
const DEVELOPMENT_ONLY = [
  'TEMPORAL_CLI_PATH',
  'TWILIO_DEV_WEBHOOK_TOKEN',
  'DEV_POSTGRES_PORT',
  'DEV_TEMPORAL_PORT',
  'DEV_TEMPORAL_UI_PORT',
];
// Each process's own port, fixed inside its container (the host side is published separately).
const OWN_PORT: Record<string, string> = { api: 'PORT', worker: 'WORKER_HTTP_PORT' };

function dependencies(service: string): Record<string, string> {
  const dependsOn = services[service]?.depends_on ?? {};
  if (Array.isArray(dependsOn)) throw new Error(`${service}: depends_on without conditions`);
  return Object.fromEntries(Object.entries(dependsOn).map(([name, { condition }]) => [name, condition]));
}

async function dockerCompose(file: string): Promise<{ code: number; stderr: string }> {
  // Only the variables compose needs: the file's defaults, not this shell's settings, are under test.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() };
  try {
    await run('docker-compose', ['-f', file, '--project-directory', ROOT, 'config', '-q'], { env });
    return { code: 0, stderr: '' };
  } catch (err) {
    const failed = err as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? String(err) };
  }
}

describe('docker-compose.yml, parsed by docker-compose', () => {
  const available = findExecutable('docker-compose') !== null;
  const inCi = process.env.CI === 'true';

  it('is installed (CI must validate the file; elsewhere the checks below skip)', () => {
    if (!available && !inCi) {
      console.warn(
        'docker-compose is not installed and could not be (needs root and apt-get): the compose file is NOT ' +
          'validated by a compose parser here. Install the Debian package docker-compose to run this check.',
      );
    }
    if (inCi) expect(findExecutable('docker-compose')).not.toBeNull();
  });

  (available ? it : it.skip)('accepts the file', async () => {
    expect(await dockerCompose(COMPOSE_FILE)).toEqual({ code: 0, stderr: '' });
  });

  (available ? it : it.skip)('rejects a copy with an unknown option, so the check above can fail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
    try {
      const broken = path.join(dir, 'docker-compose.yml');
      const text = readFileSync(COMPOSE_FILE, 'utf8').replace(/^ {2}api:\n/m, '  api:\n    healthchek: {}\n');
      writeFileSync(broken, text);
      const { code, stderr } = await dockerCompose(broken);
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/services\.api.*healthchek|healthchek.*services\.api|Unsupported config option/s);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docker-compose.yml, structure', () => {
  it('has exactly the services the product needs', () => {
    expect(Object.keys(services).sort()).toEqual([...LONG_RUNNING, ...JOBS].sort());
  });

  it.each(LONG_RUNNING)('%s has a health check', (name) => {
    const test = services[name]?.healthcheck?.test ?? [];
    expect(test[0]).toMatch(/^CMD(-SHELL)?$/);
    expect(test.length).toBeGreaterThan(1);
  });

  it('waits on what each service needs, healthy or completed', () => {
    for (const name of Object.keys(services)) {
      for (const [dependency, condition] of Object.entries(dependencies(name))) {
        expect([name, dependency, condition]).toEqual([
          name,
          dependency,
          JOBS.includes(dependency) ? 'service_completed_successfully' : 'service_healthy',
        ]);
      }
    }
    expect(dependencies('temporal-schema')).toEqual({ postgres: 'service_healthy' });
    expect(dependencies('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(dependencies('temporal-setup')).toEqual({ temporal: 'service_healthy' });
    expect(dependencies('worker')).toEqual({
      postgres: 'service_healthy',
      'temporal-setup': 'service_completed_successfully',
    });
    // The worker migrates the database at its start; the API only reads and writes it.
    expect(dependencies('api')).toEqual({ postgres: 'service_healthy', worker: 'service_healthy' });
  });

  it('runs Temporal from the official images, server 1.29', () => {
    const image = (name: string) => interpolate(services[name]?.image ?? '');
    expect(image('temporal')).toMatch(/^temporalio\/server:1\.29\.\d+$/);
    expect(image('temporal-schema')).toMatch(/^temporalio\/admin-tools:1\.29\.\d+/);
    expect(image('temporal-setup')).toBe(image('temporal-schema'));
    expect(image('temporal-ui')).toMatch(/^temporalio\/ui:2\.\d+\.\d+$/);
    expect(image('postgres')).toMatch(/^postgres:\d+$/);
  });

  it('builds the API and the worker from the one Dockerfile, as one image', () => {
    for (const name of APP) expect(services[name]?.build).toBe('.');
    expect(services.api?.image).toBe(services.worker?.image);
    expect(services.api?.command).toEqual(['node', '--import', 'tsx', 'api/server.ts']);
    // The worker's heap is bounded (README, Performance: its RSS with 10,000 open appointments).
    expect(services.worker?.command).toEqual(['node', '--max-old-space-size=384', '--import', 'tsx', 'worker.ts']);
  });

  it.each(APP)('%s gets every deployment setting config/index.ts reads, and only those', (name) => {
    const environment = services[name]?.environment ?? {};
    const names = Object.keys(environment);
    const unknown = names.filter((variable) => !CONFIG_VARIABLES.includes(variable));
    expect(unknown).toEqual([]);
    const otherPort = Object.entries(OWN_PORT).find(([service]) => service !== name)?.[1];
    // The worker's capacity settings are the worker's alone.
    const expected = CONFIG_VARIABLES.filter(
      (variable) =>
        !DEVELOPMENT_ONLY.includes(variable) &&
        variable !== otherPort &&
        (name === 'worker' || !WORKER_CAPACITY_VARIABLES.includes(variable)),
    );
    expect([...names].sort()).toEqual([...expected].sort());
    // From the environment: each is `${ITSELF:-default}`, except the port the container listens on.
    for (const [variable, value] of Object.entries(environment)) {
      if (variable === OWN_PORT[name]) continue;
      expect([variable, String(value)]).toEqual([
        variable,
        expect.stringMatching(new RegExp(`^\\$\\{${variable}(:-[^}]*)?\\}$`)),
      ]);
    }
  });

  it('reaches the compose PostgreSQL with its default credentials', () => {
    const postgres = serviceEnvironment('postgres');
    const url = new URL(serviceEnvironment('worker').DATABASE_URL ?? '');
    expect([url.hostname, url.port || '5432']).toEqual(['postgres', '5432']);
    expect(decodeURIComponent(url.username)).toBe(postgres.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(postgres.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${postgres.POSTGRES_DB}`);
  });

  it("configures Temporal's persistence the same way in the server and its schema job", () => {
    const server = serviceEnvironment('temporal');
    const schema = serviceEnvironment('temporal-schema');
    const postgres = serviceEnvironment('postgres');
    const persistence = [
      'DB',
      'DB_PORT',
      'POSTGRES_SEEDS',
      'POSTGRES_USER',
      'POSTGRES_PWD',
      'DBNAME',
      'VISIBILITY_DBNAME',
    ];
    for (const variable of persistence) expect([variable, schema[variable]]).toEqual([variable, server[variable]]);
    expect(server).toMatchObject({
      DB: 'postgres12',
      POSTGRES_SEEDS: 'postgres',
      POSTGRES_USER: postgres.POSTGRES_USER,
      POSTGRES_PWD: postgres.POSTGRES_PASSWORD,
    });
    expect(Number(server.NUM_HISTORY_SHARDS)).toBeGreaterThan(0);
  });

  it('mounts the dynamic config the server is told to read', () => {
    const target = serviceEnvironment('temporal').DYNAMIC_CONFIG_FILE_PATH;
    expect(services.temporal?.volumes).toContain(`./deploy/temporal/dynamicconfig.yaml:${target}:ro`);
    const settings = parse(readFileSync(path.join(ROOT, 'deploy/temporal/dynamicconfig.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    // Each setting is a list of { value, constraints } (the server ignores anything else).
    for (const [key, values] of Object.entries(settings)) {
      const wellFormed =
        Array.isArray(values) &&
        values.every((entry) => entry !== null && typeof entry === 'object' && 'value' in entry);
      expect([key, wellFormed]).toEqual([key, true]);
    }
  });

  it('mounts only files that exist in the repository', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (source.startsWith('./')) expect([volume, existsSync(path.join(ROOT, source))]).toEqual([volume, true]);
      }
    }
  });

  it('registers the search attributes of workflows/search-attributes.ts, no more, no fewer', () => {
    const listed = (serviceEnvironment('temporal-setup').SEARCH_ATTRIBUTES ?? '').split(/\s+/).filter(Boolean);
    // SearchAttributeType.KEYWORD → Keyword, as the temporal CLI spells the types.
    const expected = APPOINTMENT_SEARCH_ATTRIBUTES.map(
      ({ name, type }) => `${name}=${type.charAt(0)}${type.slice(1).toLowerCase()}`,
    );
    expect([...listed].sort()).toEqual([...expected].sort());
  });

  it('sets up the namespace the application uses', () => {
    expect(serviceEnvironment('temporal-setup').TEMPORAL_NAMESPACE).toBe(
      serviceEnvironment('worker').TEMPORAL_NAMESPACE,
    );
    const shell = { TEMPORAL_NAMESPACE: 'clinic' };
    expect(serviceEnvironment('temporal-setup', shell).TEMPORAL_NAMESPACE).toBe('clinic');
    expect(serviceEnvironment('api', shell).TEMPORAL_NAMESPACE).toBe('clinic');
  });
});
