import { appendFileSync } from 'node:fs';
import { startWorkerProcess, type WorkerProcess, type WorkerTarget } from '../../test/support/worker-process';

// Keeps one worker process running, as a process manager (systemd, Kubernetes) would: a
// worker that exits on its own is started again after a pause. The chaos run kills it with
// SIGKILL on purpose; every exit and start is counted for the report.

const RESTART_PAUSE_MS = 1_000;
const READY_TIMEOUT_MS = 120_000;

export interface WorkerSupervisor {
  /** SIGKILL the running worker and start a new one; resolves once the new one serves. */
  killAndRestart(): Promise<void>;
  /** Resolves once the current worker logged that it started (or after a timeout). */
  ready(): Promise<boolean>;
  readonly stats: { starts: number; kills: number; unexpectedExits: number };
  stop(): Promise<void>;
}

export function superviseWorker(target: WorkerTarget, logFile: string, log: (line: string) => void): WorkerSupervisor {
  const stats = { starts: 0, kills: 0, unexpectedExits: 0 };
  let current: { worker: WorkerProcess; exited: Promise<void>; expectedExit: boolean } | null = null;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | null = null;

  function start(): void {
    const worker = startWorkerProcess(target, { logLevel: 'info', captureStderr: true });
    stats.starts++;
    const entry = {
      worker,
      expectedExit: false,
      exited: new Promise<void>((resolve) => {
        worker.child.once('exit', () => resolve());
        worker.child.once('error', () => resolve());
      }),
    };
    current = entry;
    // A process that could not even be spawned (the tsx binary missing for a moment) emits
    // 'error' and no 'exit': it is restarted like one that died.
    let ended = false;
    const onEnd = (how: string): void => {
      if (ended) return;
      ended = true;
      appendFileSync(logFile, worker.stdout());
      appendFileSync(logFile, `\n--- worker pid ${worker.child.pid ?? '-'} ended (${how}) ---\n`);
      if (entry.expectedExit || stopped) return;
      stats.unexpectedExits++;
      log(`worker ended on its own (${how}); starting another in ${RESTART_PAUSE_MS / 1000} s`);
      restartTimer = setTimeout(() => {
        restartTimer = null;
        if (!stopped && current === entry) start();
      }, RESTART_PAUSE_MS);
    };
    worker.child.once('exit', (code, signal) => onEnd(signal ?? `code ${code}`));
    worker.child.once('error', (err) => onEnd(err.message));
  }

  async function ready(): Promise<boolean> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !stopped) {
      if (current?.worker.stdout().includes('"worker started"')) return true;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return false;
  }

  async function killCurrent(): Promise<void> {
    if (restartTimer) clearTimeout(restartTimer);
    restartTimer = null;
    const entry = current;
    if (!entry) return;
    entry.expectedExit = true;
    entry.worker.kill();
    await entry.exited;
  }

  // A harness that exits without stop() (a hard timeout) must not leave a worker behind:
  // it runs in a process group of its own, which no terminal signal reaches.
  const killOnExit = (): void => current?.worker.kill();
  process.on('exit', killOnExit);
  start();
  return {
    stats,
    ready,
    async killAndRestart() {
      await killCurrent();
      stats.kills++;
      start();
      await ready();
    },
    async stop() {
      stopped = true;
      await killCurrent();
      process.off('exit', killOnExit);
    },
  };
}
