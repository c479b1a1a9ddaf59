/** ChatKit beta sessions: `POST /v1/chatkit/sessions` and `.../sessions/{id}/cancel`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimContext, SimEnv } from '../context.js';
import { HttpError, notFound } from '../errors.js';
import { nowSeconds, objectId } from '../ids.js';
import { validate } from '../validation.js';

const betaHeader = 'chatkit_beta=v1';
const defaultLifetimeSeconds = 10 * 60;
const defaultRequestsPerMinute = 10;

const createSchema = z.looseObject({
  user: z.string().min(1),
  workflow: z.looseObject({
    id: z.string().min(1),
    version: z.string().optional(),
    state_variables: z
      .record(z.string(), z.union([z.string(), z.boolean(), z.number()]))
      .optional(),
    tracing: z.looseObject({ enabled: z.boolean().optional() }).optional(),
  }),
  chatkit_configuration: z
    .looseObject({
      automatic_thread_titling: z.looseObject({ enabled: z.boolean().optional() }).optional(),
      file_upload: z
        .looseObject({
          enabled: z.boolean().optional(),
          max_file_size: z.number().int().min(1).optional(),
          max_files: z.number().int().min(1).optional(),
        })
        .optional(),
      history: z
        .looseObject({
          enabled: z.boolean().optional(),
          recent_threads: z.number().int().min(1).optional(),
        })
        .optional(),
    })
    .optional(),
  expires_after: z
    .looseObject({ anchor: z.literal('created_at'), seconds: z.number().int().min(1) })
    .optional(),
  rate_limits: z
    .looseObject({ max_requests_per_1_minute: z.number().int().min(1).optional() })
    .optional(),
});

type ChatSession = ReturnType<typeof chatSession>;

export function chatkitRoutes(): Hono<SimEnv> {
  const sessions = new Map<string, ChatSession>();
  const routes = new Hono<SimEnv>();

  routes.post('/chatkit/sessions', (c) => {
    requireBeta(c);
    const session = chatSession(validate(createSchema, c.get('body')));
    sessions.set(session.id, session);
    return c.json(session);
  });
  routes.post('/chatkit/sessions/:id/cancel', (c) => {
    requireBeta(c);
    const session = sessions.get(c.req.param('id'));
    if (!session) throw notFound(`ChatKit session with id '${c.req.param('id')}' not found.`);
    session.status = 'cancelled';
    return c.json(session);
  });

  return routes;
}

function requireBeta(c: SimContext): void {
  if (c.req.header('openai-beta')?.includes(betaHeader)) return;
  throw new HttpError(
    400,
    `The ChatKit API is in beta: send the header 'OpenAI-Beta: ${betaHeader}'.`,
    {
      param: 'OpenAI-Beta',
    },
  );
}

function chatSession(params: z.output<typeof createSchema>) {
  const config = params.chatkit_configuration;
  const requestsPerMinute =
    params.rate_limits?.max_requests_per_1_minute ?? defaultRequestsPerMinute;
  return {
    id: objectId('cksess_'),
    object: 'chatkit.session' as const,
    status: 'active' as 'active' | 'cancelled',
    user: params.user,
    client_secret: objectId('ek_'),
    expires_at: nowSeconds() + (params.expires_after?.seconds ?? defaultLifetimeSeconds),
    max_requests_per_1_minute: requestsPerMinute,
    rate_limits: { max_requests_per_1_minute: requestsPerMinute },
    workflow: {
      id: params.workflow.id,
      version: params.workflow.version ?? null,
      state_variables: params.workflow.state_variables ?? null,
      tracing: { enabled: params.workflow.tracing?.enabled ?? true },
    },
    chatkit_configuration: {
      automatic_thread_titling: { enabled: config?.automatic_thread_titling?.enabled ?? true },
      file_upload: {
        enabled: config?.file_upload?.enabled ?? false,
        max_file_size: config?.file_upload?.max_file_size ?? 512,
        max_files: config?.file_upload?.max_files ?? 10,
      },
      history: {
        enabled: config?.history?.enabled ?? true,
        recent_threads: config?.history?.recent_threads ?? null,
      },
    },
  };
}
