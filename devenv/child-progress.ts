import type { ChildProcess } from 'node:child_process';

/** Waits for a long-running tool (go install, mvn) to exit, reporting progress at intervals. */
export function exitWithProgress(
  child: ChildProcess,
  progress: () => void,
  intervalMs: number,
): Promise<number | null> {
  const timer = setInterval(progress, intervalMs);
  return new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearInterval(timer));
}
