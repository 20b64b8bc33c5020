import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one operations endpoint answers. */
export interface OpsAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * The worker process has no API; orchestrators and Prometheus still need its health and metrics.
 * A plain node:http server with a fixed route table (GET only) is all that takes.
 */
export async function startOpsServer(
  port: number,
  routes: Record<string, () => Promise<OpsAnswer>>,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = req.method === 'GET' ? routes[path] : undefined;
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    route().then(
      (answer) => res.writeHead(answer.status, { 'content-type': answer.contentType }).end(answer.body),
      (err: unknown) =>
        res
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
