/** Starts `simulator-main.ts` in a child Node.js process and stops it again. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface SimulatorProcess {
  /** `http://127.0.0.1:<port>/v1` */
  baseURL: string;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./simulator-main.ts', import.meta.url));
const START_TIMEOUT_MS = 30_000;

/**
 * Spawns the simulator with this process's own Node.js flags, which carry tsx's loader
 * when the benchmarks run under tsx. `latencyMs` delays every response's headers.
 */
export async function startSimulatorProcess(latencyMs = 0): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [...process.execArgv, MAIN, String(latencyMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const timeout = AbortSignal.timeout(START_TIMEOUT_MS);
  const [firstLine] = (await Promise.race([
    once(lines, 'line', { signal: timeout }),
    once(child, 'exit').then(([code]) => {
      throw new Error(`the simulator process exited with code ${String(code)} before listening`);
    }),
  ])) as [string];
  lines.close();
  const { baseURL } = JSON.parse(firstLine) as { baseURL: string };
  return {
    baseURL,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      await exited;
    },
  };
}
