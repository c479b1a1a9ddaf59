/** Request validation with zod, reporting the first problem the way OpenAI does. */
import type { z } from 'zod';
import { HttpError } from './errors.js';

/** Parses `body` with `schema`, or throws a 400 naming the offending parameter. */
export function validate<Schema extends z.ZodType>(
  schema: Schema,
  body: unknown,
): z.output<Schema> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;

  const issue = result.error.issues[0];
  if (!issue) throw new HttpError(400, 'Invalid request body.');
  const param = paramName(issue.path);
  if (issue.input === undefined) {
    throw new HttpError(400, `Missing required parameter: '${param}'.`, {
      param,
      code: 'missing_required_parameter',
    });
  }
  throw new HttpError(400, `Invalid value for '${param}': ${issue.message}.`, {
    param,
    code: issue.code === 'invalid_type' ? 'invalid_type' : 'invalid_value',
  });
}

/** `['messages', 0, 'role']` becomes `messages[0].role`, as OpenAI names parameters. */
function paramName(path: readonly PropertyKey[]): string {
  return path
    .map((segment, index) => {
      if (typeof segment === 'number') return `[${segment}]`;
      return index === 0 ? String(segment) : `.${String(segment)}`;
    })
    .join('');
}
