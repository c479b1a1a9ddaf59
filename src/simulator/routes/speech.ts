/** `POST /v1/audio/speech`: audio bytes whose length follows the input text and `speed`. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimEnv } from '../context.js';
import { encodeSpeech, speechContentTypes } from '../media/speech-formats.js';
import { digest } from '../text.js';
import { validate } from '../validation.js';

/** Roughly how fast a voice reads at speed 1. */
const charactersPerSecond = 15;

const createSchema = z.looseObject({
  model: z.string().min(1),
  input: z.string().min(1).max(4096),
  voice: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).optional(),
  speed: z.number().min(0.25).max(4).optional(),
  stream_format: z.literal('audio').optional(),
});

export function speechRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/audio/speech', (c) => {
    const params = validate(createSchema, c.get('body'));
    const format = params.response_format ?? 'mp3';
    const voice = typeof params.voice === 'string' ? params.voice : params.voice.id;
    const durationSeconds =
      Math.max(0.5, params.input.length / charactersPerSecond) / (params.speed ?? 1);
    const seed = digest('speech', voice, params.input).readUInt32LE(0);

    const audio = encodeSpeech(format, durationSeconds, seed);
    return c.body(new Uint8Array(audio), 200, { 'content-type': speechContentTypes[format] });
  });

  return routes;
}
