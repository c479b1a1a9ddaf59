/**
 * A full garbage collection before a heap sample, so that `heapUsed` counts live objects
 * rather than whatever the collector has not yet reclaimed. Works with or without
 * `--expose-gc`: without it, the flag is set at run time and `gc` taken from a new context.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Collect = () => void;

let collect: Collect | undefined;

export function collectGarbage(): void {
  collect ??= findCollector();
  collect();
}

function findCollector(): Collect {
  const exposed = (globalThis as { gc?: Collect }).gc;
  if (exposed !== undefined) return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as Collect;
}
