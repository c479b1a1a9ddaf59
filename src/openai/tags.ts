/**
 * Request tags: `key:value` strings that attribute a call to a service, environment,
 * workload and budget. Parsing is strict so a typo in a deployment fails loudly instead of
 * splitting a dashboard in two.
 */
import { OpenAIOpsConfigError } from '../config/errors.js';
import { quoteValue } from '../config/quote.js';

/** Longest accepted tag key, in characters. */
export const MAX_TAG_KEY_LENGTH = 64;
/** Longest accepted tag value, in characters. */
export const MAX_TAG_VALUE_LENGTH = 200;

const KEY_PATTERN = /^[a-z0-9_.-]+$/;
// Whitespace, commas and control characters would break comma-separated lists and log lines.
const BAD_VALUE_CHAR = /[\s,\p{Cc}]/u;
// Half of a surrogate pair cannot be stored as JSON text, so it would not round-trip.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Tags as an ordered map from key to value; insertion order is the display order. */
export type TagMap = Map<string, string>;

/** Per-call tags as callers write them: `"k:v,k2:v2"`, `["k:v"]` or `{ k: "v" }`. */
export type TagInput = string | readonly string[] | Readonly<Record<string, string>>;

/**
 * Parses a comma-separated tag list such as `service:rag,env:prod`. Empty entries (a
 * trailing comma) are ignored; a repeated key keeps its first position and last value.
 *
 * @param source Where the text came from (a variable name), quoted in errors.
 */
export function parseTagList(text: string | undefined, source: string): TagMap {
  const tags: TagMap = new Map();
  if (text === undefined) return tags;
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const [key, value] = parseTag(trimmed, source);
    tags.set(key, value);
  }
  return tags;
}

/** Parses one `key:value` tag, trimming whitespace around the key and the value. */
export function parseTag(entry: string, source: string): [key: string, value: string] {
  const colon = entry.indexOf(':');
  if (colon === -1) {
    throw tagError(source, entry, 'is not of the form key:value');
  }
  const key = entry.slice(0, colon).trim();
  const value = entry.slice(colon + 1).trim();
  return [validateTagKey(key, source, entry), validateTagValue(value, source, entry)];
}

/** Checks a tag key: lower-case letters, digits, `_`, `-`, `.`, at most 64 characters. */
export function validateTagKey(key: string, source: string, entry = key): string {
  if (key === '') throw tagError(source, entry, 'has an empty key');
  if (key.length > MAX_TAG_KEY_LENGTH) {
    throw tagError(source, entry, `has a key longer than ${MAX_TAG_KEY_LENGTH} characters`);
  }
  if (!KEY_PATTERN.test(key)) {
    throw tagError(source, entry, 'has a key with characters other than a-z, 0-9, _, - and .');
  }
  if (key === '__proto__') throw tagError(source, entry, 'uses the reserved key __proto__');
  return key;
}

/** Checks a tag value: non-empty, no whitespace, commas or control characters. */
export function validateTagValue(value: string, source: string, entry = value): string {
  if (value === '') throw tagError(source, entry, 'has an empty value');
  if (value.length > MAX_TAG_VALUE_LENGTH) {
    throw tagError(source, entry, `has a value longer than ${MAX_TAG_VALUE_LENGTH} characters`);
  }
  if (BAD_VALUE_CHAR.test(value)) {
    throw tagError(source, entry, 'has whitespace, a comma or a control character in its value');
  }
  if (LONE_SURROGATE.test(value)) {
    throw tagError(source, entry, 'has half of a surrogate pair (a character cut in two)');
  }
  return value;
}

/** Normalises any accepted per-call tag input into a validated map. */
export function toTagMap(input: TagInput | undefined, source: string): TagMap {
  if (input === undefined) return new Map();
  if (typeof input === 'string') return parseTagList(input, source);
  if (isStringArray(input)) return parseTagList(input.join(','), source);
  const tags: TagMap = new Map();
  for (const [key, value] of Object.entries(input)) {
    const entry = `${key}:${value}`;
    tags.set(
      validateTagKey(key.trim(), source, entry),
      validateTagValue(value.trim(), source, entry),
    );
  }
  return tags;
}

/**
 * Merges tag maps left to right: a later map's key replaces the earlier value but keeps
 * the position the key first had, so the order of a tag list is stable across calls.
 */
export function mergeTags(...layers: readonly (TagMap | undefined)[]): TagMap {
  const merged: TagMap = new Map();
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of layer) merged.set(key, value);
  }
  return merged;
}

/** Renders a tag map as `key:value` strings. */
export function formatTags(tags: TagMap): string[] {
  return Array.from(tags, ([key, value]) => `${key}:${value}`);
}

function isStringArray(input: TagInput): input is readonly string[] {
  return Array.isArray(input);
}

function tagError(source: string, entry: string, problem: string): OpenAIOpsConfigError {
  return new OpenAIOpsConfigError(
    `${source}: tag ${quoteValue(entry)} ${problem}. ` +
      'Write tags as comma-separated key:value pairs, e.g. service:rag,env:prod.',
    { variable: source },
  );
}
