/** The `chat.completion.chunk` sequence of a streamed chat completion, ending in `[DONE]`. */
import type { SseEvent } from '../sse.js';
import { splitDeltas } from '../text.js';
import type { Completion } from '../usage.js';

export interface ChunkFrame {
  id: string;
  created: number;
  model: string;
  /** Present (as null, then filled on a last chunk) only when usage was asked for. */
  usage?: Record<string, unknown>;
}

export function chatChunks(frame: ChunkFrame, completions: readonly Completion[]): SseEvent[] {
  const { usage, ...common } = frame;
  const base = {
    ...common,
    object: 'chat.completion.chunk',
    service_tier: 'default',
    system_fingerprint: 'fp_simulator',
    ...(usage ? { usage: null } : {}),
  };
  const chunk = (choices: unknown[], extra: object = {}): SseEvent => ({
    data: JSON.stringify({ ...base, choices, ...extra }),
  });

  const events = completions.flatMap((completion, index) =>
    choiceDeltas(completion, index).map((choice) => chunk([choice])),
  );
  if (usage) events.push(chunk([], { usage }));
  events.push({ data: '[DONE]' });
  return events;
}

function choiceDeltas(completion: Completion, index: number): Record<string, unknown>[] {
  const field = completion.refusal === null ? 'content' : 'refusal';
  const choice = (delta: object, finishReason: string | null = null) => ({
    index,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  return [
    choice({ role: 'assistant', content: '', refusal: null }),
    ...splitDeltas(completion.text).map((delta) => choice({ [field]: delta })),
    choice({}, completion.truncated ? 'length' : 'stop'),
  ];
}
