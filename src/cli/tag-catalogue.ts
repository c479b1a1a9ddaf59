/**
 * The tag catalogue `tags audit` checks stored events against: which tag keys and values
 * services may use, and which quota tags finance bills. Written in YAML or JSON and
 * validated strictly, so a typo in the catalogue is an error rather than a false alarm.
 *
 * ```yaml
 * tags:                 # allowed keys and, per key, allowed values ("*" = any value)
 *   service: [rag, ledger]
 *   team: "*"
 * quota_tags: [finance-emea, finance-apac]
 * ```
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';

import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

import { MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH } from '../openai/tags.js';
import { CliExit, EXIT_USAGE } from './exit-codes.js';
import { describeIssues } from './tag-catalogue-issues.js';

/** Tag keys the library adds to every event; always allowed, audited only when listed. */
export const CONTEXT_TAG_KEYS = ['endpoint', 'model', 'org', 'status', 'quota', 'workload'];

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Any value is allowed for the key. */
export const ANY_VALUE = '*';

export interface TagCatalogue {
  /** Where the catalogue was read from, for messages. */
  source: string;
  /** Allowed values per key, or `ANY_VALUE`. */
  tags: ReadonlyMap<string, typeof ANY_VALUE | ReadonlySet<string>>;
  /** Billing quota tags known to finance. */
  quotaTags: ReadonlySet<string>;
}

const tagKey = z
  .string()
  .min(1, 'is an empty tag key')
  .max(MAX_TAG_KEY_LENGTH, `is longer than ${MAX_TAG_KEY_LENGTH} characters`)
  .regex(/^[a-z0-9_.-]+$/, 'may only use a-z, 0-9, _, - and . in a tag key')
  .refine((key) => key !== '__proto__', 'is the reserved key __proto__, which no tag can have');

const tagValue = z
  .string({ error: 'must be a string (quote numbers and booleans, e.g. "2024")' })
  .min(1, 'is an empty value')
  .max(MAX_TAG_VALUE_LENGTH, `is longer than ${MAX_TAG_VALUE_LENGTH} characters`)
  .regex(/^[^\s,\p{Cc}]+$/u, 'has whitespace, a comma or a control character')
  .refine((value) => value !== ANY_VALUE, 'uses "*" inside a list; write key: "*" instead');

const valueList = z
  .array(tagValue, { error: 'must be "*" (any value) or a list of allowed values' })
  .min(1, 'is an empty list; remove the key or list its values')
  .refine(isUnique, 'lists a value twice');

const allowedValues = z.union([z.literal(ANY_VALUE), valueList], {
  error: 'must be "*" (any value) or a list of allowed values',
});

const catalogueSchema = z.strictObject(
  {
    tags: z.record(tagKey, allowedValues, {
      error: (issue) =>
        issue.input === undefined
          ? 'is missing; list the allowed tag keys (use {} for none)'
          : 'must be a mapping from tag key to "*" or a list of values',
    }),
    quota_tags: z
      .array(tagValue, {
        error: (issue) =>
          issue.input === undefined
            ? 'is missing; list the quota tags finance bills (use [] for none)'
            : 'must be a list of quota tags',
      })
      .refine(isUnique, 'lists a quota tag twice'),
  },
  { error: 'must be a mapping with the keys tags and quota_tags' },
);

/**
 * Reads and validates a catalogue. YAML or JSON by extension (`.yaml`, `.yml`, `.json`),
 * otherwise by content.
 *
 * @throws CliExit with exit code 2 naming the file, and the path inside it, on any problem.
 */
export async function loadTagCatalogue(file: string): Promise<TagCatalogue> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw catalogueError(file, `cannot be read (${reason}); check the path given to --catalogue`);
  }
  return parseTagCatalogue(text, file);
}

/** Validates catalogue text; `source` is the file name used in messages and the format hint. */
export function parseTagCatalogue(text: string, source: string): TagCatalogue {
  const result = catalogueSchema.safeParse(parseDocument(text, source));
  if (!result.success) {
    throw catalogueError(source, `is not a valid tag catalogue:\n${describeIssues(result.error)}`);
  }
  const tags = new Map<string, typeof ANY_VALUE | ReadonlySet<string>>();
  for (const [key, values] of Object.entries(result.data.tags)) {
    tags.set(key, values === ANY_VALUE ? ANY_VALUE : new Set(values));
  }
  return { source, tags, quotaTags: new Set(result.data.quota_tags) };
}

function parseDocument(text: string, source: string): unknown {
  if (text.trim() === '') throw catalogueError(source, 'is empty; it needs tags: and quota_tags:');
  // Parsers set an object's prototype for this key instead of adding it, so it would vanish.
  if (/(?:^|[\s{,])["']?__proto__["']?\s*:/m.test(text)) {
    throw catalogueError(source, 'uses the reserved key __proto__, which no tag can have');
  }
  const extension = extname(source).toLowerCase();
  const format = extension === '.json' ? 'JSON' : YAML_EXTENSIONS.has(extension) ? 'YAML' : null;
  try {
    // Without a telling extension the YAML parser reads both: JSON is a subset of YAML 1.2.
    return format === 'JSON' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw catalogueError(source, `is not valid ${format ?? 'YAML or JSON'}: ${reason.trim()}`);
  }
}

function isUnique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

function catalogueError(source: string, problem: string): CliExit {
  return new CliExit(`tag catalogue ${source} ${problem}`, EXIT_USAGE);
}
