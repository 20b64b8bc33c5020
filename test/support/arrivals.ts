// What a fake provider received, and waiting for it: the fake Twilio's messages and the fake
// SendGrid's mails are watched the same way.

export interface Arrivals<T> {
  /** Resolves with every matching item once at least `count` have arrived; rejects after `timeoutMs`, listing what came. */
  waitFor(predicate: (item: T) => boolean, count: number, timeoutMs: number): Promise<T[]>;
  /** Call after recording an item. */
  arrived(): void;
  /** Rejects every wait still running (the fake is stopping). */
  abortAll(reason: string): void;
}

export function watchArrivals<T>(
  items: readonly T[],
  describe: { provider: string; noun: string; summarize: (item: T) => string },
): Arrivals<T> {
  const waiters = new Set<{ check(): void; abort(reason: Error): void }>();
  return {
    waitFor(predicate, count, timeoutMs) {
      return new Promise((resolve, reject) => {
        const waiter = {
          check(): void {
            const matching = items.filter(predicate);
            if (matching.length < count) return;
            finish();
            resolve(matching);
          },
          abort(reason: Error): void {
            finish();
            reject(reason);
          },
        };
        const timer = setTimeout(() => {
          const matched = items.filter(predicate).length;
          waiter.abort(
            new Error(
              `${describe.provider}: expected ${count} matching ${describe.noun} within ${timeoutMs} ms, ` +
                `but ${matched} matched. Received ${items.length}:` +
                (items.map((item) => `\n  ${describe.summarize(item)}`).join('') || ' none'),
            ),
          );
        }, timeoutMs);
        function finish(): void {
          clearTimeout(timer);
          waiters.delete(waiter);
        }
        waiters.add(waiter);
        waiter.check();
      });
    },
    arrived() {
      for (const waiter of waiters) waiter.check();
    },
    abortAll(reason) {
      for (const waiter of waiters) waiter.abort(new Error(reason));
    },
  };
}
