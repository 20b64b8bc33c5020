import { readdirSync, readFileSync } from 'node:fs';

// Where the CPU goes: the CPU seconds each part of the stack used between two readings, read
// from /proc for this process and every process it started (the API, the workers, the raw
// worker, the Temporal dev server, PostgreSQL and its backends). On 2 shared cores throughput is
// CPU: a create that costs the worker or PostgreSQL more leaves less for everything else.

export type CpuPart = 'api' | 'worker' | 'raw worker' | 'temporal' | 'postgres' | 'bench';
export type CpuReading = Record<CpuPart, number>;

/** Linux reports utime/stime in clock ticks; 100 per second on every architecture Node runs on here. */
const TICKS_PER_SECOND = 100;

interface Proc {
  pid: number;
  ppid: number;
  seconds: number;
  cmdline: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    return {
      pid,
      ppid: Number(fields[1]),
      // Its own time and that of its children that have ended (cutime, cstime): PostgreSQL's
      // connection processes end when a pool closes an idle connection, and what they used
      // must stay counted.
      seconds: (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND,
      cmdline,
    };
  } catch {
    return null;
  }
}

function partOf(cmdline: string): CpuPart | null {
  if (cmdline.includes('api/server.ts')) return 'api';
  if (cmdline.includes('raw-worker')) return 'raw worker';
  if (cmdline.includes('worker.ts')) return 'worker';
  if (cmdline.includes('start-dev')) return 'temporal';
  if (cmdline.includes('postgres')) return 'postgres';
  return null;
}

/** CPU seconds used so far by each part of the stack this process started. */
export function readCpu(): CpuReading {
  const all = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((p): p is Proc => p !== null);
  const children = new Map<number, Proc[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const reading: CpuReading = { api: 0, worker: 0, 'raw worker': 0, temporal: 0, postgres: 0, bench: 0 };
  reading.bench = readProc(process.pid)?.seconds ?? 0;
  // Each descendant counts for the part its nearest classified ancestor (or itself) belongs to.
  const walk = (pid: number, inherited: CpuPart | null): void => {
    for (const child of children.get(pid) ?? []) {
      const part = partOf(child.cmdline) ?? inherited;
      if (part) reading[part] += child.seconds;
      walk(child.pid, part);
    }
  };
  walk(process.pid, null);
  return reading;
}

/** CPU seconds each part used from `before` to `after`, per `per` operations, in milliseconds. */
export function cpuMsPer(before: CpuReading, after: CpuReading, per: number): CpuReading {
  const out = { ...before };
  for (const part of Object.keys(before) as CpuPart[]) {
    out[part] = Math.round(((after[part] - before[part]) * 1000 * 100) / Math.max(per, 1)) / 100;
  }
  return out;
}
