// Stops what the global setups started, latest first.
export default async function globalTeardown(): Promise<void> {
  const globals = globalThis as { __servers__?: Array<{ stop(): Promise<void> }>; __sharedSetup__?: unknown };
  const servers = globals.__servers__ ?? [];
  globals.__servers__ = [];
  delete globals.__sharedSetup__;
  for (const server of servers) await server.stop();
}
