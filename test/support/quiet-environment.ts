import NodeEnvironment from 'jest-environment-node';
import { TEMPORAL_LOGS } from './temporal-runtime';

// jest's node environment (the one jest itself defaults to), plus: the Temporal logs a test
// file collects (temporal-runtime.ts) are printed when a test or hook fails, and dropped
// when it passes.

interface TestEvent {
  name: string;
  test?: { name: string; errors: unknown[] };
  hook?: { type: string };
}

export default class QuietEnvironment extends NodeEnvironment {
  private readonly logs: string[] = [];

  async setup(): Promise<void> {
    await super.setup();
    (this.global as Record<string, unknown>)[TEMPORAL_LOGS] = this.logs;
  }

  handleTestEvent(event: TestEvent): void {
    if (event.name === 'test_done' && event.test) {
      if (event.test.errors.length > 0) this.flush(`test "${event.test.name}" failed`);
      this.logs.length = 0;
    } else if (event.name === 'hook_failure') {
      this.flush(`${event.hook?.type ?? 'a'} hook failed`);
      this.logs.length = 0;
    }
  }

  private flush(what: string): void {
    if (this.logs.length === 0) return;
    process.stderr.write(`\nTemporal logs before the ${what}:\n${this.logs.join('\n')}\n\n`);
  }
}
