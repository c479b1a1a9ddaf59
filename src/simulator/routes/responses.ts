/** `POST /v1/responses` (JSON or SSE) and `GET /v1/responses/{id}` for stored responses. */
import { Hono } from 'hono';
import { z } from 'zod';
import { noteRefusal, type SimEnv } from '../context.js';
import { notFound } from '../errors.js';
import { sseResponse } from '../sse.js';
import { textOf } from '../text.js';
import { complete, conversationTokens, wantsRefusal } from '../usage.js';
import { validate } from '../validation.js';
import { responseEvents } from './response-events.js';
import { buildResponse, type ResponseObject } from './response-object.js';

const createSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(z.unknown())]).optional(),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().min(16).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  previous_response_id: z.string().nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
});

type CreateParams = z.output<typeof createSchema>;

export function responsesRoutes(): Hono<SimEnv> {
  const stored = new Map<string, ResponseObject>();
  const routes = new Hono<SimEnv>();

  routes.post('/responses', (c) => {
    const params = validate(createSchema, c.get('body'));
    const previous = findPrevious(stored, params.previous_response_id);
    const turns = inputTurns(params.input);
    const completion = complete({
      prompt: turns.join('\n'),
      model: params.model,
      maxOutputTokens: params.max_output_tokens,
      refuse: wantsRefusal(lastUserTurn(params.input)),
    });
    const response = buildResponse(
      {
        model: params.model,
        inputTokens: inputTokens(params, turns) + (previous?.usage.total_tokens ?? 0),
        instructions: params.instructions ?? null,
        maxOutputTokens: params.max_output_tokens ?? null,
        previousResponseId: params.previous_response_id ?? null,
        metadata: params.metadata ?? {},
        store: params.store ?? true,
      },
      completion,
    );

    noteRefusal(c, completion.refusal);
    if (params.store !== false) stored.set(response.id, response);
    return params.stream ? sseResponse(c, responseEvents(response)) : c.json(response);
  });

  routes.get('/responses/:id', (c) => {
    const response = stored.get(c.req.param('id'));
    if (!response) throw notFound(`Response with id '${c.req.param('id')}' not found.`);
    return c.json(response);
  });

  return routes;
}

function findPrevious(stored: Map<string, ResponseObject>, id: string | null | undefined) {
  if (!id) return undefined;
  const previous = stored.get(id);
  if (!previous) throw notFound(`Previous response with id '${id}' not found.`);
  return previous;
}

/** The text of each input turn; a bare string is one user turn. */
function inputTurns(input: CreateParams['input']): string[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [input];
  return input.map(textOf);
}

function lastUserTurn(input: CreateParams['input']): string {
  if (typeof input === 'string') return input;
  return textOf(input?.findLast((item) => (item as { role?: unknown } | null)?.role === 'user'));
}

function inputTokens(params: CreateParams, turns: string[]): number {
  const instructions = params.instructions ? [params.instructions] : [];
  return conversationTokens([...instructions, ...turns]);
}
