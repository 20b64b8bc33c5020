#!/usr/bin/env bash
# The one entry point behind the npm scripts and bin/appointment-reminders: it brings a fresh
# clone (no node_modules, no generated Prisma client) up to date before running anything, so
# `npm test`, `npm run dev` and the CLI work without separate setup steps.
set -euo pipefail

usage() {
  echo "usage: devenv/bootstrap.sh <dev|test|test:fast|worker|cli> [args…]" >&2
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
  dev | test | test:fast | worker | cli) ;;
  *) usage ;;
esac

# The operator CLI runs from the package root; like `npm run`, leave the caller's directory
# in INIT_CWD so that relative paths on its command line can still be resolved.
export INIT_CWD="${INIT_CWD:-$PWD}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v node >/dev/null 2>&1 || fail "Node.js 20.19 or newer is required but 'node' is not on PATH (https://nodejs.org, or your package manager)."
command -v npm >/dev/null 2>&1 || fail "npm is required but not on PATH; it normally comes with Node.js."
# 20.19 is the first Node 20 that can require() ES modules, which embedded-postgres is.
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
  fail "Node.js 20.19 or newer is required; found $(node --version)."

# npm writes node_modules/.package-lock.json on every install, so a lock file newer than it
# means dependencies changed since the last install (e.g. after a pull).
# Not `npm ci`: the lock file cannot list other platforms' optional packages (@swc/core-darwin-*
# and the like) because the registry this project's machines reach answers 404 for them, and
# `npm ci` rejects such a lock as out of sync (npm/cli#9846). `npm install --no-save` installs
# the lock's versions just the same and never rewrites it.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
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
  worker) exec npx tsx worker.ts "$@" ;;
  cli) exec npx tsx cli/main.ts "$@" ;;
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
