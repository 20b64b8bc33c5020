import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readCpu } from '../../bench/performance/cpu';

// The bench's CPU per create: PostgreSQL serves each connection from a process of its own,
// and a pool closes idle connections, so processes end between two readings. What a process
// used before it ended is its parent's (cutime) from then on, and must still be counted.

const BURN_MS = 400;

test('the CPU of a process that ended between two readings still counts for its part', async () => {
  // A stand-in for the postmaster (its command line names postgres): it starts a "backend"
  // that burns a fixed amount of CPU and ends, and stays up itself.
  const script = `
    const { spawn } = require('node:child_process');
    setTimeout(() => {
      const backend = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < ${BURN_MS * 1000}) {}']);
      backend.on('exit', () => console.log('backend ended'));
    }, 300);
    setInterval(() => {}, 1000);`;
  const postmaster = spawn(process.execPath, ['-e', script, 'postgres-stand-in'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const before = readCpu();
    await once(postmaster.stdout, 'data');
    const after = readCpu();
    // CPU burnt, not wall time: a loaded machine slows the burn, never shortens it.
    expect(after.postgres - before.postgres).toBeGreaterThanOrEqual((BURN_MS * 0.9) / 1000);
  } finally {
    postmaster.kill();
  }
});
