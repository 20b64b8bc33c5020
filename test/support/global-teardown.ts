export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __servers__?: Array<{ stop(): Promise<void> }> }).__servers__ ?? [];
  for (const server of servers) await server.stop();
}
