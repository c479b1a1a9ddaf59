/**
 * Applies a request's fault in two places: network faults (latency, drop) before
 * anything else, response faults (status, malformed) once the caller is authenticated.
 * Cut streams are left to the SSE writer, which knows where events end.
 */
import type { MiddlewareHandler } from 'hono';
import type { SimEnv } from './context.js';
import { faultError } from './errors.js';
import { faultHeader, resolveFault, waitLatency } from './faults.js';
import type { SimulatorState } from './state.js';

const malformedJson = '{"id":"simulated","object":"chat.completion","choices":[{"ind';
const malformedEvent = 'data: {"type":"response.created","sequence_number":0,"respo\n\n';

export function networkFaults(state: SimulatorState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const fault = resolveFault(state.faults, c.req.method, c.req.path, c.req.header(faultHeader));
    c.set('fault', fault);
    await waitLatency(fault);
    if (!fault?.drop) return next();

    c.env.incoming.socket.destroy();
    return c.body(null, 500);
  };
}

export const responseFaults: MiddlewareHandler<SimEnv> = async (c, next) => {
  const fault = c.get('fault');
  if (fault?.status) throw faultError(fault.status);
  if (!fault?.malformed) return next();

  if (c.get('body').stream === true) {
    return c.body(malformedEvent, 200, { 'content-type': 'text/event-stream; charset=utf-8' });
  }
  return c.body(malformedJson, 200, { 'content-type': 'application/json' });
};
