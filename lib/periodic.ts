/**
 * Runs `round` at once and then again and again, each time after the delay the previous round
 * returned, until the returned function is called; that stops the next round and waits for
 * one under way. A round must handle its own errors: a rejection stops nothing but is not seen.
 */
export function runPeriodically(round: () => Promise<number>): () => Promise<void> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      current = round().then(
        (next) => {
          if (!stopped) schedule(next);
        },
        () => {
          if (!stopped) schedule(delayMs);
        },
      );
    }, delayMs);
  };
  schedule(0);

  return async () => {
    stopped = true;
    clearTimeout(timer);
    await current;
  };
}
