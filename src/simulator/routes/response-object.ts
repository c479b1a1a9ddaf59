/** Builds a Responses API `response` object from a simulated completion. */
import { nowSeconds, objectId } from '../ids.js';
import type { Completion } from '../usage.js';

export interface ResponseInput {
  model: string;
  inputTokens: number;
  instructions: string | null;
  maxOutputTokens: number | null;
  previousResponseId: string | null;
  metadata: Record<string, string>;
  store: boolean;
}

export type ResponseObject = Record<string, unknown> & {
  id: string;
  status: 'completed' | 'incomplete';
  output: Record<string, unknown>[];
  usage: { total_tokens: number };
};

export function buildResponse(input: ResponseInput, completion: Completion): ResponseObject {
  const createdAt = nowSeconds();
  const reasoning = completion.reasoningTokens > 0;
  const status = completion.truncated ? 'incomplete' : 'completed';
  const output = [
    ...(reasoning ? [{ id: objectId('rs_'), type: 'reasoning', summary: [] }] : []),
    messageItem(completion, status),
  ];

  return {
    id: objectId('resp_'),
    object: 'response',
    created_at: createdAt,
    status,
    completed_at: status === 'completed' ? createdAt : null,
    background: false,
    error: null,
    incomplete_details: completion.truncated ? { reason: 'max_output_tokens' } : null,
    instructions: input.instructions,
    max_output_tokens: input.maxOutputTokens,
    metadata: input.metadata,
    model: input.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: input.previousResponseId,
    reasoning: { effort: reasoning ? 'medium' : null, summary: null },
    service_tier: 'default',
    store: input.store,
    temperature: 1,
    text: { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: responseUsage(input.inputTokens, completion),
  };
}

function messageItem(completion: Completion, status: string): Record<string, unknown> {
  const part =
    completion.refusal === null
      ? { type: 'output_text', text: completion.text, annotations: [], logprobs: [] }
      : { type: 'refusal', refusal: completion.refusal };
  return { id: objectId('msg_'), type: 'message', status, role: 'assistant', content: [part] };
}

function responseUsage(inputTokens: number, completion: Completion) {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
    output_tokens: completion.outputTokens,
    output_tokens_details: { reasoning_tokens: completion.reasoningTokens },
    total_tokens: inputTokens + completion.outputTokens,
  };
}
