/**
 * CPU time spent on a piece of work, by this process and by the PostgreSQL backends that
 * serve the benchmark's database. Unlike elapsed time, CPU time per event changes little
 * when other work competes for the machine. Backend CPU is read from /proc, so it needs
 * Linux and a server on the same machine; elsewhere it is reported as null.
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

import type postgres from 'postgres';

export interface CpuTime {
  durationMs: number;
  clientCpuMs: number;
  /** Null when the backends' CPU could not be read. */
  serverCpuMs: number | null;
}

type BackendTimes = Map<number, number> | null;

const TICKS_PER_S = readTicksPerSecond();

/** Runs `work` and measures its elapsed time and CPU time. */
export async function measureCpu(
  sql: postgres.Sql,
  database: string,
  work: () => Promise<void>,
): Promise<CpuTime> {
  const backendsBefore = await readBackendTimes(sql, database);
  const clientBefore = process.cpuUsage();
  const startedAt = performance.now();
  await work();
  const durationMs = performance.now() - startedAt;
  const client = process.cpuUsage(clientBefore);
  const backendsAfter = await readBackendTimes(sql, database);
  return {
    durationMs,
    clientCpuMs: (client.user + client.system) / 1000,
    serverCpuMs: spentMs(backendsBefore, backendsAfter),
  };
}

/** CPU milliseconds so far of every backend connected to `database`, by process id. */
async function readBackendTimes(sql: postgres.Sql, database: string): Promise<BackendTimes> {
  const backends = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = ${database}`;
  const times = new Map<number, number>();
  for (const { pid } of backends) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (stat === undefined) return null;
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    times.set(pid, (ticks / TICKS_PER_S) * 1000);
  }
  return times;
}

/** Backends that started during the work count from zero. */
function spentMs(before: BackendTimes, after: BackendTimes): number | null {
  if (before === null || after === null) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

function readTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}
