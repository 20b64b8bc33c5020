import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// docker-compose.yml as the tests read it: parsed with its YAML anchors and merge keys, and
// with compose's own interpolation of `${VAR}`, `${VAR:-default}` and `$$`, so a test (here,
// or one that runs the Temporal server "configured like the compose file's") sees the values
// compose would hand a container.

export const ROOT = path.resolve(__dirname, '..', '..');
export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The compose file as written (values not interpolated). `merge`: compose resolves `<<: *anchor`. */
export function readComposeFile(file = COMPOSE_FILE): ComposeFile {
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

/** Compose's interpolation (the subset this file uses): `$$` is a literal `$`. */
export function interpolate(value: string, env: Record<string, string | undefined> = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, fallback?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const set = env[name];
      // `:-` uses the default when the variable is unset or empty; this file uses only that form.
      return set === undefined || set === '' ? (fallback ?? '') : set;
    },
  );
}

/** One service's environment as its container gets it, with `env` standing for the caller's shell. */
export function serviceEnvironment(
  service: string,
  env: Record<string, string | undefined> = {},
  file = COMPOSE_FILE,
): Record<string, string> {
  const found = readComposeFile(file).services[service];
  if (!found) throw new Error(`${path.basename(file)} has no service ${service}`);
  return Object.fromEntries(
    Object.entries(found.environment ?? {}).map(([name, value]) => [name, interpolate(String(value), env)]),
  );
}
