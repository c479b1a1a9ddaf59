/**
 * `POST /v1/chat/completions`, JSON or streamed chunks. A last user message containing
 * "forbidden" gets a refusal instead of content, and the journal records it.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { noteRefusal, type SimEnv } from '../context.js';
import { HttpError } from '../errors.js';
import { nowSeconds, objectId } from '../ids.js';
import { sseResponse } from '../sse.js';
import { textOf } from '../text.js';
import { complete, conversationTokens, isReasoningModel, wantsRefusal } from '../usage.js';
import type { Completion } from '../usage.js';
import { validate } from '../validation.js';
import { chatChunks } from './chat-chunks.js';

const messageSchema = z.looseObject({
  role: z.enum(['developer', 'system', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]).optional(),
});

const createSchema = z.looseObject({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  n: z.number().int().min(1).max(8).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
});

type CreateParams = z.output<typeof createSchema>;

export function chatRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/chat/completions', (c) => {
    const params = validate(createSchema, c.get('body'));
    rejectLegacyLimit(params);
    const texts = params.messages.map((message) => textOf(message.content));
    const prompt = texts.join('\n');
    const lastUser = params.messages.findLast((message) => message.role === 'user');
    const refuse = wantsRefusal(textOf(lastUser?.content));
    const completions = Array.from({ length: params.n ?? 1 }, (_, index) =>
      complete({
        prompt: index === 0 ? prompt : `${prompt}\n#${index}`,
        model: params.model,
        maxOutputTokens: params.max_completion_tokens ?? params.max_tokens,
        refuse,
      }),
    );
    const frame = { id: objectId('chatcmpl-'), created: nowSeconds(), model: params.model };
    const usage = chatUsage(conversationTokens(texts), completions);

    noteRefusal(c, completions[0]?.refusal ?? null);
    if (!params.stream) return c.json(chatCompletion(frame, completions, usage));
    const includeUsage = params.stream_options?.include_usage === true;
    return sseResponse(c, chatChunks(includeUsage ? { ...frame, usage } : frame, completions));
  });

  return routes;
}

/** Reasoning models reject `max_tokens`, as the real API does. */
function rejectLegacyLimit(params: CreateParams): void {
  if (params.max_tokens == null || !isReasoningModel(params.model)) return;
  throw new HttpError(
    400,
    "Unsupported parameter: 'max_tokens' is not supported with this model. " +
      "Use 'max_completion_tokens' instead.",
    { param: 'max_tokens', code: 'unsupported_parameter' },
  );
}

function chatCompletion(frame: object, completions: readonly Completion[], usage: object) {
  return {
    ...frame,
    object: 'chat.completion',
    choices: completions.map((completion, index) => ({
      index,
      message: {
        role: 'assistant',
        content: completion.refusal === null ? completion.text : null,
        refusal: completion.refusal,
        annotations: [],
      },
      logprobs: null,
      finish_reason: completion.truncated ? 'length' : 'stop',
    })),
    usage,
    service_tier: 'default',
    system_fingerprint: 'fp_simulator',
  };
}

function chatUsage(promptTokens: number, completions: readonly Completion[]) {
  const sum = (pick: (completion: Completion) => number) =>
    completions.reduce((total, completion) => total + pick(completion), 0);
  const completionTokens = sum((completion) => completion.outputTokens);
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: sum((completion) => completion.reasoningTokens),
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}
