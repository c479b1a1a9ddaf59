/**
 * `POST /v1/audio/transcriptions` (multipart): a transcript chosen by a hash of the audio,
 * timed by the WAV header when there is one, else by assuming 16 kB per second.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimEnv } from '../context.js';
import { isUpload } from '../journal.js';
import { wavDurationSeconds } from '../media/wav.js';
import { composeReply, digest } from '../text.js';
import { countTokens } from '../usage.js';
import { validate } from '../validation.js';
import { segmentTranscript, toSrt, toVtt } from './transcript-formats.js';

const assumedBytesPerSecond = 16_000;
const audioTokensPerSecond = 10;

const languageNames: Record<string, string> = {
  en: 'english',
  de: 'german',
  es: 'spanish',
  fr: 'french',
  it: 'italian',
  ja: 'japanese',
  nl: 'dutch',
  pt: 'portuguese',
  zh: 'chinese',
};

const createSchema = z.looseObject({
  file: z.custom<File>(isUpload, 'Expected a file upload'),
  model: z.string().min(1),
  language: z.string().min(2).optional(),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']).optional(),
  stream: z.literal('false', 'the simulator does not stream transcriptions').optional(),
});

export function transcriptionsRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/audio/transcriptions', async (c) => {
    const params = validate(createSchema, c.get('body'));
    const audio = Buffer.from(await params.file.arrayBuffer());
    const durationSeconds = wavDurationSeconds(audio) ?? audio.length / assumedBytesPerSecond;
    const text = composeReply(digest('transcription', audio).toString('hex'));
    const segments = segmentTranscript(text, durationSeconds);

    switch (params.response_format ?? 'json') {
      case 'text':
        return c.text(`${text}\n`);
      case 'srt':
        return c.text(toSrt(segments));
      case 'vtt':
        return c.text(toVtt(segments), 200, { 'content-type': 'text/vtt; charset=utf-8' });
      case 'verbose_json':
        return c.json({
          task: 'transcribe',
          language: languageName(params.language),
          duration: durationSeconds,
          text,
          segments: segments.map(verboseSegment),
          usage: { type: 'duration', seconds: Math.ceil(durationSeconds) },
        });
      default:
        return c.json({ text, usage: jsonUsage(params.model, durationSeconds, text) });
    }
  });

  return routes;
}

function languageName(code: string | undefined): string {
  if (!code) return 'english';
  return languageNames[code.toLowerCase()] ?? code.toLowerCase();
}

function verboseSegment(segment: { id: number; start: number; end: number; text: string }) {
  return {
    ...segment,
    seek: 0,
    tokens: [],
    temperature: 0,
    avg_logprob: -0.25,
    compression_ratio: 1.2,
    no_speech_prob: 0.01,
  };
}

/** whisper-1 bills by the second; the gpt-4o transcribe models bill tokens. */
function jsonUsage(model: string, durationSeconds: number, text: string) {
  if (model.startsWith('whisper')) return { type: 'duration', seconds: Math.ceil(durationSeconds) };
  const audioTokens = Math.ceil(durationSeconds * audioTokensPerSecond);
  const outputTokens = countTokens(text);
  return {
    type: 'tokens',
    input_tokens: audioTokens,
    input_token_details: { text_tokens: 0, audio_tokens: audioTokens },
    output_tokens: outputTokens,
    total_tokens: audioTokens + outputTokens,
  };
}
