import type { Logger } from './logger';

/**
 * Work a request starts and does not wait for, such as the signals of a webhook that has
 * already answered. It is counted so that a stopping process lets it end before closing the
 * connections it uses (a gRPC call cut by its channel's close throws from a timer, outside
 * any handler), and so that tests can wait for it.
 */
export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly log: Logger) {}

  /** Runs `work` without waiting for it; a failure is logged under `what`, never thrown. */
  start(what: string, work: () => Promise<void>): void {
    const run: Promise<void> = work()
      .catch((err: unknown) => this.log.error({ err }, `${what} failed`))
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  /** Resolves once all work started so far, and any it started in turn, has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
