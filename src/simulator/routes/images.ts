/**
 * `POST /v1/images/generations`: small one-colour PNGs chosen by a hash of the prompt;
 * gpt-image models always return base64 and report token usage, as the real API does.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimEnv } from '../context.js';
import { nowSeconds } from '../ids.js';
import { solidPng } from '../media/png.js';
import { digest } from '../text.js';
import { countTokens } from '../usage.js';
import { validate } from '../validation.js';

/** What a low-detail 1024×1024 image costs in output tokens. */
const imageOutputTokens = 272;

const createSchema = z.looseObject({
  prompt: z.string().min(1),
  model: z.string().min(1).optional(),
  n: z.number().int().min(1).max(10).optional(),
  response_format: z.enum(['url', 'b64_json']).optional(),
  size: z.string().optional(),
  quality: z.string().optional(),
});

export function imagesRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/images/generations', (c) => {
    const params = validate(createSchema, c.get('body'));
    const model = params.model ?? 'dall-e-2';
    const gptImage = model.startsWith('gpt-image');
    const count = params.n ?? 1;
    const images = Array.from({ length: count }, (_, index) => {
      const seed = digest('image', model, params.prompt, String(index));
      return solidPng([seed[0] ?? 0, seed[1] ?? 0, seed[2] ?? 0]).toString('base64');
    });
    const asUrl = !gptImage && params.response_format !== 'b64_json';

    return c.json({
      created: nowSeconds(),
      data: images.map((b64) =>
        asUrl ? { url: `data:image/png;base64,${b64}` } : { b64_json: b64 },
      ),
      ...(gptImage ? gptImageDetails(params.prompt, count, params) : {}),
    });
  });

  return routes;
}

function gptImageDetails(prompt: string, count: number, params: { size?: string | undefined }) {
  const textTokens = countTokens(prompt);
  const outputTokens = imageOutputTokens * count;
  return {
    background: 'opaque',
    output_format: 'png',
    quality: 'low',
    size: params.size && params.size !== 'auto' ? params.size : '1024x1024',
    usage: {
      input_tokens: textTokens,
      input_tokens_details: { text_tokens: textTokens, image_tokens: 0 },
      output_tokens: outputTokens,
      total_tokens: textTokens + outputTokens,
    },
  };
}
