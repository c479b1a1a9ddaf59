/**
 * The server events of one realtime response: created, the assistant item with its
 * text (or audio and transcript) deltas, then `response.done` with usage.
 */
import { objectId } from '../ids.js';
import { tonePcm } from '../media/wav.js';
import { splitDeltas } from '../text.js';
import { complete, conversationTokens, countTokens, type Completion } from '../usage.js';

const audioTokensPerSecond = 10;
const charactersPerSecond = 15;

export interface RealtimeTurn {
  model: string;
  /** Text of every conversation item so far, oldest first. */
  history: readonly string[];
  outputModalities: readonly string[];
  maxOutputTokens: number | undefined;
  voice: unknown;
}

export interface RealtimeReply {
  events: Record<string, unknown>[];
  /** The assistant item, to append to the conversation. */
  item: Record<string, unknown>;
}

export function realtimeReply(turn: RealtimeTurn): RealtimeReply {
  const completion = complete({
    prompt: turn.history.join('\n'),
    model: turn.model,
    maxOutputTokens: turn.maxOutputTokens,
  });
  const audio = turn.outputModalities.includes('audio');
  const ids = { response_id: objectId('resp_'), item_id: objectId('item_'), output_index: 0 };
  const item = assistantItem(ids.item_id, completion, audio);
  const response = responseShell(ids.response_id, turn);
  const finished = {
    ...response,
    status: item.status,
    output: [item],
    usage: realtimeUsage(turn.history, completion.text, audio),
  };

  const events = [
    { type: 'response.created', response },
    {
      type: 'response.output_item.added',
      ...ids,
      item: { ...item, status: 'in_progress', content: [] },
    },
    ...contentEvents({ ...ids, content_index: 0 }, completion.text, audio),
    { type: 'response.output_item.done', ...ids, item },
    { type: 'response.done', response: finished },
  ];
  return { events, item };
}

function assistantItem(id: string, completion: Completion, audio: boolean) {
  const text = completion.text;
  return {
    id,
    object: 'realtime.item',
    type: 'message',
    status: completion.truncated ? 'incomplete' : 'completed',
    role: 'assistant',
    content: [audio ? { type: 'output_audio', transcript: text } : { type: 'output_text', text }],
  };
}

function responseShell(id: string, turn: RealtimeTurn) {
  return {
    id,
    object: 'realtime.response',
    status: 'in_progress',
    status_details: null,
    output: [],
    conversation_id: 'conv_simulator',
    output_modalities: turn.outputModalities,
    max_output_tokens: turn.maxOutputTokens ?? 'inf',
    audio: { output: { format: { type: 'audio/pcm', rate: 24_000 }, voice: turn.voice } },
    usage: null,
    metadata: null,
  };
}

function contentEvents(where: Record<string, unknown>, text: string, audio: boolean) {
  const part = audio ? { type: 'audio', transcript: text } : { type: 'text', text };
  const emptyPart = audio ? { type: 'audio', transcript: '' } : { type: 'text', text: '' };
  const deltaType = audio ? 'response.output_audio_transcript' : 'response.output_text';
  const deltas = splitDeltas(text).map((delta) => ({
    type: `${deltaType}.delta`,
    ...where,
    delta,
  }));
  const sound = tonePcm(0.1, text.length).toString('base64');
  const audioEvents = audio
    ? [
        { type: 'response.output_audio.delta', ...where, delta: sound },
        { type: 'response.output_audio.done', ...where },
      ]
    : [];

  return [
    { type: 'response.content_part.added', ...where, part: emptyPart },
    ...deltas,
    ...audioEvents,
    { type: `${deltaType}.done`, ...where, [audio ? 'transcript' : 'text']: text },
    { type: 'response.content_part.done', ...where, part },
  ];
}

function realtimeUsage(history: readonly string[], text: string, audio: boolean) {
  const inputTokens = conversationTokens(history);
  const textTokens = countTokens(text);
  const audioTokens = audio
    ? Math.ceil((text.length / charactersPerSecond) * audioTokensPerSecond)
    : 0;
  const outputTokens = textTokens + audioTokens;
  return {
    total_tokens: inputTokens + outputTokens,
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    input_token_details: {
      text_tokens: inputTokens,
      audio_tokens: 0,
      image_tokens: 0,
      cached_tokens: 0,
      cached_tokens_details: { text_tokens: 0, audio_tokens: 0, image_tokens: 0 },
    },
    output_token_details: { text_tokens: textTokens, audio_tokens: audioTokens },
  };
}
