/** First middleware: journals the request, then stamps OpenAI's headers on whatever answered. */
import type { MiddlewareHandler } from 'hono';
import type { SimEnv } from './context.js';
import { openAIHeaders, requestTokenEstimate } from './headers.js';
import { createRecord, headerRecord } from './journal.js';
import type { SimulatorState } from './state.js';

export function traceRequests(state: SimulatorState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const headers = headerRecord(c.req.raw.headers);
    const record = createRecord(c.req.method, c.req.path, headers);
    state.remember(record);
    c.set('record', record);

    await next();

    record.statusCode = c.get('fault')?.drop ? 0 : c.res.status;
    const stamped = openAIHeaders(state, record, c.get('caller'), requestTokenEstimate(headers));
    for (const [name, value] of Object.entries(stamped)) c.res.headers.set(name, value);
    state.logRequest(record);
  };
}
