/** `GET /v1/models` and `GET /v1/models/{id}` over a fixed catalogue of current models. */
import { Hono } from 'hono';
import type { SimEnv } from '../context.js';
import { HttpError } from '../errors.js';

/** Model ids with plausible creation times (epoch seconds). */
const catalogue: readonly [string, number][] = [
  ['gpt-5', 1754425777],
  ['gpt-5-mini', 1754425928],
  ['gpt-5-nano', 1754426384],
  ['gpt-4.1', 1744316542],
  ['gpt-4.1-mini', 1744318173],
  ['gpt-4o', 1715367049],
  ['gpt-4o-mini', 1721172741],
  ['o3', 1744225308],
  ['o4-mini', 1744225351],
  ['gpt-realtime', 1756271701],
  ['gpt-4o-transcribe', 1742068463],
  ['gpt-4o-mini-tts', 1742403959],
  ['tts-1', 1681940951],
  ['whisper-1', 1677532384],
  ['gpt-image-1', 1745517030],
  ['dall-e-3', 1698785189],
  ['sora-2', 1759708615],
  ['sora-2-pro', 1759708663],
  ['text-embedding-3-small', 1705948997],
  ['text-embedding-3-large', 1705953180],
  ['text-embedding-ada-002', 1671217299],
];

const models = catalogue.map(([id, created]) => ({
  id,
  object: 'model',
  created,
  owned_by: 'system',
}));

export function modelsRoutes(): Hono<SimEnv> {
  const routes = new Hono<SimEnv>();

  routes.get('/models', (c) => c.json({ object: 'list', data: models }));
  routes.get('/models/:id', (c) => {
    const model = models.find((entry) => entry.id === c.req.param('id'));
    if (model) return c.json(model);
    throw new HttpError(
      404,
      `The model '${c.req.param('id')}' does not exist or you do not have access to it.`,
      { code: 'model_not_found' },
    );
  });

  return routes;
}
