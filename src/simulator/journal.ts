/** Journal entries: what each request carried, with the authorization header kept out. */
import type { IncomingHttpHeaders } from 'node:http';
import { bearerToken } from './auth.js';
import { requestId } from './ids.js';
import type { SimulatedRequest } from './types.js';

export function createRecord(
  method: string,
  path: string,
  headers: Record<string, string>,
): SimulatedRequest {
  const { authorization, ...kept } = headers;
  return {
    id: requestId(),
    method,
    path,
    apiKey: bearerToken(authorization),
    organization: headers['openai-organization'],
    project: headers['openai-project'],
    headers: kept,
    model: undefined,
    statusCode: 0,
    refusal: null,
    body: undefined,
    startedAt: Date.now(),
  };
}

/** Lower-cased header names to single values, from fetch `Headers` or Node's headers. */
export function headerRecord(headers: Headers | IncomingHttpHeaders): Record<string, string> {
  const record: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    record[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

/** Multipart fields as the journal keeps them: files described, not stored. */
export function journalFields(fields: Record<string, unknown>): Record<string, unknown> {
  const describe = (value: unknown): unknown =>
    isUpload(value) ? { name: value.name, size: value.size, type: value.type } : value;
  return Object.fromEntries(
    Object.entries(fields).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.map(describe) : describe(value),
    ]),
  );
}

/** An uploaded file; checked as a named Blob because fetch implementations bring their own File. */
export function isUpload(value: unknown): value is File {
  return value instanceof Blob && 'name' in value;
}
