import { setUpShared } from './setup-shared';

// The fast tier: PostgreSQL, the time-skipping server and the workflow bundle; no Temporal dev server.
export default async function globalSetup(): Promise<void> {
  await setUpShared();
}
