/** Reads a request body once, JSON or multipart, for the routes and the journal. */
import type { HonoRequest, MiddlewareHandler } from 'hono';
import type { SimEnv } from './context.js';
import { HttpError } from './errors.js';
import { isUpload, journalFields } from './journal.js';

const invalidJson =
  'We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, ' +
  'but what was sent was not valid JSON.';

export const readBody: MiddlewareHandler<SimEnv> = async (c, next) => {
  const record = c.get('record');
  const body = await parseBody(c.req);
  const isForm = Object.values(body).some(isUpload);

  c.set('body', body);
  record.body = Object.keys(body).length === 0 ? undefined : isForm ? journalFields(body) : body;
  if (typeof body.model === 'string') record.model = body.model;
  await next();
};

async function parseBody(request: HonoRequest): Promise<Record<string, unknown>> {
  if (request.raw.body === null) return {};
  const contentType = request.header('content-type') ?? '';
  if (contentType.includes('multipart/form-data') || contentType.includes('urlencoded')) {
    return parseForm(request);
  }
  const text = await request.text();
  if (text.trim() === '') return {};
  return parseJsonObject(text);
}

async function parseForm(request: HonoRequest): Promise<Record<string, unknown>> {
  const form = await request.formData().catch(() => {
    throw new HttpError(400, 'Could not parse the multipart form in the request body.');
  });
  const fields: Record<string, unknown> = {};
  for (const name of new Set(form.keys())) {
    const values = form.getAll(name);
    fields[name] = values.length === 1 ? values[0] : values;
  }
  return fields;
}

function parseJsonObject(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(400, invalidJson);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
