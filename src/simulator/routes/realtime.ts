/**
 * `POST /v1/realtime/client_secrets`: an ephemeral `ek_` key for a configured session.
 * The key opens WebSocket sessions (see realtime/upgrade.ts) until it expires.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { noteModel, type SimEnv } from '../context.js';
import { nowSeconds, objectId } from '../ids.js';
import { realtimeSession } from '../realtime/session-config.js';
import type { SimulatorState } from '../state.js';
import { validate } from '../validation.js';

const sessionLifetimeSeconds = 60 * 60;

const createSchema = z.looseObject({
  expires_after: z
    .looseObject({
      anchor: z.literal('created_at').optional(),
      seconds: z.number().int().min(10).max(7200).optional(),
    })
    .optional(),
  session: z
    .looseObject({ type: z.enum(['realtime', 'transcription']), model: z.string().optional() })
    .optional(),
});

export function realtimeRoutes(state: SimulatorState): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/realtime/client_secrets', (c) => {
    const params = validate(createSchema, c.get('body'));
    const session = realtimeSession(params.session ?? {}, sessionLifetimeSeconds);
    const caller = c.get('caller');
    const value = objectId('ek_');
    const expiresAt = nowSeconds() + (params.expires_after?.seconds ?? 600);

    if (caller) state.ephemeralKeys.set(value, { caller, expiresAt });
    noteModel(c, typeof session.model === 'string' ? session.model : undefined);
    return c.json({ value, expires_at: expiresAt, session });
  });

  return routes;
}
