/**
 * Runs the simulator in a process of its own, so that its CPU does not share an event loop
 * with the client being measured. The only argument is a delay in milliseconds before every
 * response's headers (default 0), standing in for the API's own processing time. Prints one
 * JSON line with the base URL once listening, and exits when standard input closes (the
 * parent ended) or on SIGTERM.
 */
import { startSimulator } from '../../src/simulator/index.js';

const latencyMs = Number(process.argv[2] ?? 0);
const simulator = await startSimulator({
  // A small journal: the benchmarks never read it.
  journalLimit: 100,
  faults: latencyMs > 0 ? [{ fault: { latencyMs } }] : [],
});
process.stdout.write(`${JSON.stringify({ baseURL: simulator.baseURL })}\n`);

const stop = (): void => {
  void simulator.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
