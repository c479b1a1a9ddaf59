/**
 * `POST /v1/embeddings`: deterministic unit-length vectors from a hash of each input,
 * as float arrays or base64 little-endian float32 (what the SDK asks for by default).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimEnv } from '../context.js';
import { HttpError } from '../errors.js';
import { digest, seededRandom } from '../text.js';
import { countTokens } from '../usage.js';
import { validate } from '../validation.js';

const modelDimensions: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
const defaultDimensions = 1536;

const tokens = z.array(z.number().int().min(0)).min(1);
const createSchema = z.looseObject({
  model: z.string().min(1),
  input: z.union([
    z.string().min(1),
    z.array(z.string().min(1)).min(1).max(2048),
    tokens,
    z.array(tokens).min(1).max(2048),
  ]),
  dimensions: z.number().int().min(1).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
});

type Input = string | number[];

export function embeddingsRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.post('/embeddings', (c) => {
    const params = validate(createSchema, c.get('body'));
    const dimensions = resolveDimensions(params.model, params.dimensions);
    const inputs = listInputs(params.input);
    const promptTokens = inputs.reduce<number>(
      (total, input) => total + (typeof input === 'string' ? countTokens(input) : input.length),
      0,
    );

    return c.json({
      object: 'list',
      data: inputs.map((input, index) => {
        const vector = embed(params.model, input, dimensions);
        const embedding = params.encoding_format === 'base64' ? toBase64(vector) : vector;
        return { object: 'embedding', index, embedding };
      }),
      model: params.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  });

  return routes;
}

function listInputs(input: string | string[] | number[] | number[][]): Input[] {
  if (typeof input === 'string') return [input];
  return typeof input[0] === 'number' ? [input as number[]] : (input as Input[]);
}

function resolveDimensions(model: string, requested: number | undefined): number {
  const native = modelDimensions[model] ?? defaultDimensions;
  if (requested === undefined) return native;
  if (model === 'text-embedding-ada-002') {
    throw new HttpError(400, 'This model does not support specifying dimensions.', {
      param: 'dimensions',
    });
  }
  if (requested > native) {
    throw new HttpError(400, `Invalid value for 'dimensions': at most ${native} for ${model}.`, {
      param: 'dimensions',
      code: 'invalid_value',
    });
  }
  return requested;
}

/**
 * A unit vector whose leading components do not depend on `dimensions`, so shortened
 * embeddings are prefixes of full ones, renormalized, as with text-embedding-3.
 */
function embed(model: string, input: Input, dimensions: number): number[] {
  const key = typeof input === 'string' ? input : JSON.stringify(input);
  const random = seededRandom(digest('embedding', model, key));
  const raw = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.sqrt(raw.reduce((total, value) => total + value * value, 0)) || 1;
  return raw.map((value) => Math.fround(value / norm));
}

function toBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}
