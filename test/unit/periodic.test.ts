import { runPeriodically } from '../../lib/periodic';

test('rounds follow the delay each one returns; stopping waits for the round under way and ends the series', async () => {
  const started: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const stop = runPeriodically(async () => {
    started.push(Date.now());
    if (started.length === 3) await held;
    return started.length === 1 ? 0 : 20;
  });
  while (started.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(started[2] - started[1]).toBeGreaterThanOrEqual(15);

  let stopped = false;
  const stopping = stop().then(() => (stopped = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  expect(stopped).toBe(false);
  release();
  await stopping;
  await new Promise((resolve) => setTimeout(resolve, 60));
  expect(started).toHaveLength(3);
});
