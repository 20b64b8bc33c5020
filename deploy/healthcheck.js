// The container health check (Dockerfile HEALTHCHECK, docker-compose.yml): healthy when the
// process in this container answers GET /healthz, the API on PORT or the worker on
// WORKER_HTTP_PORT. Plain JavaScript so that a check every few seconds costs no TypeScript start.
const ports = [process.env.PORT || '3000', process.env.WORKER_HTTP_PORT || '3001'];

async function answers(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

Promise.all(ports.map(answers)).then((results) => process.exit(results.includes(true) ? 0 : 1));
