/** The configuration a realtime session starts with, as `session.created` shows it. */
import { nowSeconds, objectId } from '../ids.js';

const defaultRealtimeModel = 'gpt-realtime';

const pcm24k = { type: 'audio/pcm', rate: 24_000 };

/** A realtime session (transcription for `type: 'transcription'`) with `requested` applied. */
export function realtimeSession(
  requested: Record<string, unknown>,
  lifetimeSeconds: number,
): Record<string, unknown> {
  const common = { id: objectId('sess_'), expires_at: nowSeconds() + lifetimeSeconds };
  if (requested.type === 'transcription') {
    return {
      ...common,
      object: 'realtime.transcription_session',
      type: 'transcription',
      audio: { input: { format: pcm24k, transcription: null, noise_reduction: null } },
      include: null,
      ...requested,
    };
  }
  return {
    ...common,
    object: 'realtime.session',
    type: 'realtime',
    model: defaultRealtimeModel,
    output_modalities: ['audio'],
    instructions: 'You are a helpful, concise assistant.',
    tools: [],
    tool_choice: 'auto',
    max_output_tokens: 'inf',
    tracing: null,
    truncation: 'auto',
    prompt: null,
    include: null,
    audio: {
      input: { format: pcm24k, transcription: null, noise_reduction: null, turn_detection: null },
      output: { format: pcm24k, voice: 'alloy', speed: 1 },
    },
    ...requested,
  };
}
