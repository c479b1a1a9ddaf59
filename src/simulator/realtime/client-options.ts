/** Lets the SDK's `OpenAIRealtimeWS` reach the simulator, which speaks plain HTTP. */
import { connect, type Socket } from 'node:net';
import type { Simulator } from '../types.js';

export interface RealtimeSocketOptions {
  createConnection: () => Socket;
}

/**
 * WebSocket options for `OpenAIRealtimeWS`: the SDK always dials `wss://`, so this opens
 * a plain TCP connection to the simulator instead of a TLS one.
 *
 * @example
 * const rt = new OpenAIRealtimeWS(
 *   { model: 'gpt-realtime', options: realtimeSocketOptions(sim) },
 *   new OpenAI({ apiKey: 'sk-test', baseURL: sim.baseURL }),
 * );
 */
export function realtimeSocketOptions(simulator: Pick<Simulator, 'url'>): RealtimeSocketOptions {
  const { hostname, port } = new URL(simulator.url);
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  return { createConnection: () => connect(Number(port), host) };
}
