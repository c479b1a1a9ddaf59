/**
 * The fetch handed to the OpenAI SDK. Every HTTP attempt the SDK makes passes through
 * here, which is where instrumentation observes requests without touching the caller's
 * code path.
 */
import type { OpenAiWorkloadEnv } from '../openai/workloads.js';

export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface CaptureFetchOptions {
  /** The workload's resolved configuration, for attribution. */
  config: OpenAiWorkloadEnv;
  /** The fetch that performs the request; defaults to the global one. */
  fetch?: Fetch | undefined;
}

/** Wraps `fetch` so the SDK's requests can be observed. */
export function createCaptureFetch(options: CaptureFetchOptions): Fetch {
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  return (input, init) => inner(input, init);
}
