/** Files kept in memory: upload (multipart), list, retrieve, download content and delete. */
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimEnv } from '../context.js';
import { notFound } from '../errors.js';
import { nowSeconds, objectId } from '../ids.js';
import { isUpload } from '../journal.js';
import { cursorPage } from '../pagination.js';
import { validate } from '../validation.js';

const purposes = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;

const createSchema = z.looseObject({
  file: z.custom<File>(isUpload, 'Expected a file upload'),
  purpose: z.enum(purposes),
  'expires_after[seconds]': z.coerce.number().int().min(3600).max(2_592_000).optional(),
});

interface StoredFile {
  object: {
    id: string;
    object: 'file';
    bytes: number;
    created_at: number;
    filename: string;
    purpose: string;
    status: 'processed';
    expires_at?: number;
  };
  content: Uint8Array<ArrayBuffer>;
  type: string;
}

export function filesRoutes(): Hono<SimEnv> {
  const files = new Map<string, StoredFile>();
  const routes = new Hono<SimEnv>();
  const find = (id: string) => {
    const file = files.get(id);
    if (!file) throw notFound(`No such File object: ${id}`);
    return file;
  };

  routes.post('/files', async (c) => {
    const params = validate(createSchema, c.get('body'));
    const stored = await storeFile(params);
    files.set(stored.object.id, stored);
    return c.json(stored.object);
  });
  routes.get('/files', (c) => {
    const purpose = c.req.query('purpose');
    const objects = [...files.values()].map((file) => file.object);
    const matching = purpose ? objects.filter((file) => file.purpose === purpose) : objects;
    return c.json(cursorPage(matching, c.req.query()));
  });
  routes.get('/files/:id', (c) => c.json(find(c.req.param('id')).object));
  routes.get('/files/:id/content', (c) => {
    const file = find(c.req.param('id'));
    return c.body(file.content, 200, { 'content-type': file.type || 'application/octet-stream' });
  });
  routes.delete('/files/:id', (c) => {
    const { object } = find(c.req.param('id'));
    files.delete(object.id);
    return c.json({ id: object.id, object: 'file', deleted: true });
  });

  return routes;
}

async function storeFile(params: z.output<typeof createSchema>): Promise<StoredFile> {
  const content = new Uint8Array(await params.file.arrayBuffer());
  const createdAt = nowSeconds();
  const lifetimeSeconds = params['expires_after[seconds]'];
  return {
    object: {
      id: objectId('file-'),
      object: 'file',
      bytes: content.length,
      created_at: createdAt,
      filename: params.file.name,
      purpose: params.purpose,
      status: 'processed',
      ...(lifetimeSeconds === undefined ? {} : { expires_at: createdAt + lifetimeSeconds }),
    },
    content,
    type: params.file.type,
  };
}
