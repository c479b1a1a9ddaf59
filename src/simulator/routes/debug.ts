/** `GET /v1/requests/{id}/debug`: what the journal knows about an earlier request. */
import { Hono } from 'hono';
import type { SimEnv } from '../context.js';
import { notFound } from '../errors.js';
import type { SimulatorState } from '../state.js';

export function debugRoutes(state: SimulatorState): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.get('/requests/:id/debug', (c) => {
    const id = c.req.param('id');
    const request = state.recall(id);
    if (!request) throw notFound(`No request with id '${id}' was found.`);
    return c.json({
      id: request.id,
      object: 'request.debug',
      method: request.method,
      path: request.path,
      model: request.model ?? null,
      created_at: Math.floor(request.startedAt / 1000),
      response: { status_code: request.statusCode, refusal: request.refusal },
    });
  });

  return routes;
}
