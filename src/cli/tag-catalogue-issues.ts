/**
 * Validation problems of a tag catalogue as lines an operator can act on: the path inside
 * the file (`tags.service[1]`) and what is wrong there, one line per problem.
 */
import type { z } from 'zod';

import { quoteValue } from '../config/quote.js';

type Issue = z.core.$ZodIssue;
type PathPart = PropertyKey;

interface Problem {
  path: readonly PathPart[];
  message: string;
}

/** Every problem of `error`, one `  - path: message` line each. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) => problemsOf(issue, []))
    .map((problem) => `  - ${formatPath(problem.path)}: ${problem.message}`)
    .join('\n');
}

function problemsOf(issue: Issue, prefix: readonly PathPart[]): Problem[] {
  const path = [...prefix, ...issue.path];
  switch (issue.code) {
    case 'invalid_union': {
      // Report the alternative the input got furthest in, not every alternative's complaint.
      const branch = issue.errors.find((issues) => issues.some(gotPastTheType));
      return branch === undefined
        ? [{ path, message: issue.message }]
        : branch.flatMap((inner) => problemsOf(inner, path));
    }
    case 'invalid_key':
      return issue.issues.map((inner) => ({ path, message: `key ${inner.message}` }));
    case 'unrecognized_keys':
      return [
        {
          path,
          message:
            `unknown key${issue.keys.length === 1 ? '' : 's'} ` +
            `${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; ` +
            'a catalogue has only tags and quota_tags',
        },
      ];
    default:
      return [{ path, message: issue.message }];
  }
}

function gotPastTheType(issue: Issue): boolean {
  return issue.path.length > 0 || (issue.code !== 'invalid_type' && issue.code !== 'invalid_value');
}

function formatPath(path: readonly PathPart[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((part, index) => {
      if (typeof part === 'number') return `[${part}]`;
      const name = String(part);
      if (/^[A-Za-z_][\w-]{0,79}$/.test(name)) return index === 0 ? name : `.${name}`;
      return `[${quoteValue(name)}]`;
    })
    .join('');
}
