/**
 * The server-sent event sequence of a streamed Responses API call: created, in progress,
 * each output item with its content part and deltas, then completed (or incomplete).
 */
import type { SseEvent } from '../sse.js';
import { splitDeltas } from '../text.js';
import type { ResponseObject } from './response-object.js';

type Emit = (type: string, payload: Record<string, unknown>) => void;

export function responseEvents(response: ResponseObject): SseEvent[] {
  const events: SseEvent[] = [];
  const emit: Emit = (type, payload) => {
    const data = { type, sequence_number: events.length, ...payload };
    events.push({ event: type, data: JSON.stringify(data) });
  };
  const started = {
    ...response,
    status: 'in_progress',
    completed_at: null,
    output: [],
    usage: null,
  };

  emit('response.created', { response: started });
  emit('response.in_progress', { response: started });
  response.output.forEach((item, outputIndex) => emitItem(emit, item, outputIndex));
  const finished = response.status === 'completed' ? 'response.completed' : 'response.incomplete';
  emit(finished, { response });
  return events;
}

function emitItem(emit: Emit, item: Record<string, unknown>, outputIndex: number): void {
  const content = Array.isArray(item.content) ? (item.content as Record<string, unknown>[]) : [];
  emit('response.output_item.added', {
    output_index: outputIndex,
    item: { ...item, ...(item.type === 'message' ? { status: 'in_progress', content: [] } : {}) },
  });
  content.forEach((part, contentIndex) => {
    const where = { item_id: item.id, output_index: outputIndex, content_index: contentIndex };
    emitPart(emit, part, where);
  });
  emit('response.output_item.done', { output_index: outputIndex, item });
}

function emitPart(emit: Emit, part: Record<string, unknown>, where: Record<string, unknown>): void {
  const refusal = part.type === 'refusal';
  const text = String(refusal ? part.refusal : part.text);
  const emptyPart = refusal ? { ...part, refusal: '' } : { ...part, text: '' };
  const kind = refusal ? 'refusal' : 'output_text';
  const logprobs = refusal ? {} : { logprobs: [] };

  emit('response.content_part.added', { ...where, part: emptyPart });
  for (const delta of splitDeltas(text))
    emit(`response.${kind}.delta`, { ...where, delta, ...logprobs });
  emit(`response.${kind}.done`, { ...where, [refusal ? 'refusal' : 'text']: text, ...logprobs });
  emit('response.content_part.done', { ...where, part });
}
