#!/usr/bin/env bash
# The one entry point behind the npm scripts and bin/appointment-reminders: it brings a fresh
# clone (no node_modules, no generated Prisma client) up to date before running anything, so
# `npm test`, `npm run dev` and the CLI work without separate setup steps.
set -euo pipefail

usage() {
  echo "usage: devenv/bootstrap.sh <dev|test|test:fast|chaos|bench|worker|api|cli|lint|format> [args…]" >&2
  exit 2
}
fail() {
  echo "bootstrap: $*" >&2
  exit 1
}

[ $# -ge 1 ] || usage
action=$1
shift
case "$action" in
  dev | test | test:fast | chaos | bench | worker | api | cli | lint | format) ;;
  *) usage ;;
esac

# The operator CLI runs from the package root; like `npm run`, leave the caller's directory
# in INIT_CWD so that relative paths on its command line can still be resolved.
export INIT_CWD="${INIT_CWD:-$PWD}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

NODE_NEEDED="Node.js 20.19+, 22.13+ or 24+"
command -v node >/dev/null 2>&1 || fail "$NODE_NEEDED is required but 'node' is not on PATH (https://nodejs.org, or your package manager)."
command -v npm >/dev/null 2>&1 || fail "npm is required but not on PATH; it normally comes with Node.js."
# package.json's engines: 20.19 is the first Node 20 that can require() ES modules (embedded-postgres
# is one); Prisma, ESLint and dependency-cruiser need 22.13+ on the 22 line.
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 13) || a >= 24 ? 0 : 1)' ||
  fail "$NODE_NEEDED is required; found $(node --version)."

# npm records what it installed in node_modules/.package-lock.json; dependencies changed since
# the last install (e.g. after a pull) when package-lock.json asks for a package that is missing
# there or at another version. Compared by content, not by file dates: a fresh checkout or a git
# worktree sharing node_modules has a lock file newer than an install that matches it exactly.
# Optional packages are skipped: other platforms' binaries are never installed.
dependencies_stale() {
  [ -f node_modules/.package-lock.json ] || return 0
  node -e '
    const fs = require("fs");
    const read = (file) => JSON.parse(fs.readFileSync(file, "utf8")).packages || {};
    let installed;
    try { installed = read("node_modules/.package-lock.json"); } catch { process.exit(0); }
    for (const [where, wanted] of Object.entries(read("package-lock.json"))) {
      if (where === "" || wanted.optional || wanted.link) continue;
      if (installed[where]?.version !== wanted.version) process.exit(0);
    }
    process.exit(1);
  '
}

# Not `npm ci`: the lock file cannot list other platforms' optional packages (@swc/core-darwin-*
# and the like) because the registry this project's machines reach answers 404 for them, and
# `npm ci` rejects such a lock as out of sync (npm/cli#9846). `npm install --no-save` installs
# the lock's versions just the same and never rewrites it.
if dependencies_stale; then
  echo "bootstrap: installing dependencies (npm install from package-lock.json)…"
  npm install --no-save --no-audit --no-fund
fi

if [ ! -f generated/prisma/client.ts ] || [ prisma/schema.prisma -nt generated/prisma/client.ts ]; then
  echo "bootstrap: generating the Prisma client…"
  # Without an engine path the Prisma CLI first downloads its native schema engine, which fails
  # offline; `generate` never runs that engine, so any harmless executable satisfies it (`type -P`:
  # Prisma needs a file, and `command -v false` names bash's builtin).
  PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(type -P false)}" npx prisma generate
fi

case "$action" in
  dev) exec npx tsx devenv/dev.ts "$@" ;;
  # One node process with tsx as its loader, not the tsx command: that one runs the script in a
  # child and SIGKILLs it when a SIGTERM is not acknowledged within 30 ms (a busy event loop),
  # which would cut the graceful shutdown short (lib/shutdown.ts).
  worker) exec node --import tsx worker.ts "$@" ;;
  api) exec node --import tsx api/server.ts "$@" ;;
  cli) exec npx tsx devenv/cli.ts "$@" ;;
  format) exec npx prettier --write "${@:-.}" ;;
  lint)
    # ESLint (type-aware: needs the generated Prisma client above), the layer check, then
    # Prettier. All three run so one report shows every problem; any failure fails lint.
    status=0
    npm run --silent lint:eslint || status=1
    npm run --silent lint:layers || status=1
    npm run --silent lint:format || status=1
    exit "$status"
    ;;
  chaos)
    # The fault-injection run (bench/chaos.ts): the same preparation as the slow tests (type
    # check, the Temporal CLI), then the run itself, which starts and stops its own servers.
    echo "bootstrap: type-checking…"
    npx tsc --noEmit -p tsconfig.json
    npx tsx devenv/provision-tools.ts
    exec npx tsx bench/chaos.ts "$@"
    ;;
  bench)
    # The performance run (bench/performance.ts): prepared like chaos; it starts its own servers.
    echo "bootstrap: type-checking…"
    npx tsc --noEmit -p tsconfig.json
    npx tsx devenv/provision-tools.ts
    exec npx tsx bench/performance.ts "$@"
    ;;
  test | test:fast)
    # jest transpiles without type checking (fast); the whole project is type-checked once here.
    echo "bootstrap: type-checking…"
    npx tsc --noEmit -p tsconfig.json
    tier=()
    if [ "$action" = test:fast ]; then
      # The fast tier needs no Temporal dev server, so no Temporal CLI either.
      npx tsx devenv/provision-tools.ts --time-skipping-server-only
      tier=(--selectProjects fast)
    else
      npx tsx devenv/provision-tools.ts
    fi
    summary=$(mktemp)
    status=0
    # The tier goes last: --selectProjects takes every value up to the next option.
    JEST_SUMMARY_FILE=$summary npx jest "$@" "${tier[@]}" || status=$?
    cat "$summary"
    rm -f "$summary"
    exit "$status"
    ;;
esac
