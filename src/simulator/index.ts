/**
 * An OpenAI-compatible simulator on loopback, for rehearsals and tests without network
 * or spend: deterministic replies, plausible usage, injectable faults and a request journal.
 */
export { startSimulator } from './server.js';
export { parseFaultRule, parseFaultSpec } from './fault-spec.js';
export { realtimeSocketOptions, type RealtimeSocketOptions } from './realtime/client-options.js';
export type {
  FaultRule,
  FaultSpec,
  SimulatedRequest,
  Simulator,
  SimulatorKey,
  SimulatorOptions,
} from './types.js';
