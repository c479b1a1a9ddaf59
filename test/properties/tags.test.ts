/**
 * Properties of the tag parser: strict on the way in (a typo fails loudly, naming where it
 * came from), lossless on the way out, and order-stable when layers are merged.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import {
  formatTags,
  mergeTags,
  parseTagList,
  toTagMap,
  type TagMap,
} from '../../src/openai/tags.js';
import { outcomeOf, RUNS, tricky } from './support.js';

const KEY = /^[a-z0-9_.-]{1,64}$/;
const BAD_VALUE = /[\s,\p{Cc}]/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const source = fc.constantFrom('OPENAI_REQUEST_TAGS', 'OPENAI_REQUEST_TAGS_FINANCE_PROD', 'tags');

/** Keys the README allows; `__proto__` is reserved. */
const keyArb = fc.stringMatching(/^[a-z0-9_.-]{1,64}$/).filter((key) => key !== '__proto__');
/** Values the README allows: no whitespace, commas or control characters, 1 to 200 long. */
const valueArb = fc
  .string({
    unit: fc.oneof(
      fc.constantFrom(':', '"', "'", '\\', '$', '/', '{', '}', '[', ']', '%', '🔥', 'é', '‮'),
      fc.string({ minLength: 1, maxLength: 1 }),
    ),
    minLength: 1,
    maxLength: 200,
  })
  .filter((value) => value.length <= 200 && !BAD_VALUE.test(value));
const tagMapArb = fc
  .array(fc.tuple(keyArb, valueArb), { maxLength: 8 })
  .map((entries): TagMap => new Map(entries));

/** Text that looks like a tag list often enough to get past the first check. */
const listish = fc.oneof(
  fc.string({ unit: tricky, maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .array(
      fc.tuple(
        fc.oneof(keyArb, fc.string({ unit: tricky, maxLength: 6 })),
        fc.constantFrom(':', ' : ', '::', '', ':\t'),
        fc.oneof(valueArb, fc.string({ unit: tricky, maxLength: 8 })),
      ),
      { maxLength: 5 },
    )
    .map((entries) => entries.map((parts) => parts.join('')).join(',')),
);

function expectConfigErrorFrom(error: unknown, variable: string): void {
  expect(error).toBeInstanceOf(OpenAIOpsConfigError);
  expect((error as OpenAIOpsConfigError).variable).toBe(variable);
  expect((error as Error).message.startsWith(`${variable}: `)).toBe(true);
  expect((error as Error).message.length).toBeLessThan(400);
}

function expectValidTags(tags: TagMap): void {
  for (const [key, value] of tags) {
    expect(key).toMatch(KEY);
    expect(value.length).toBeGreaterThan(0);
    expect(value.length).toBeLessThanOrEqual(200);
    expect(value).not.toMatch(BAD_VALUE);
  }
}

describe('parseTagList', () => {
  it('parses or throws OpenAIOpsConfigError naming the variable, for any text', () => {
    fc.assert(
      fc.property(listish, source, (text, variable) => {
        const outcome = outcomeOf(() => parseTagList(text, variable));
        if (outcome.ok) expectValidTags(outcome.value);
        else expectConfigErrorFrom(outcome.error, variable);
      }),
      RUNS,
    );
  });

  it('accepts every tag map the README allows and formats it back unchanged', () => {
    fc.assert(
      fc.property(tagMapArb, (tags) => {
        const text = formatTags(tags).join(',');
        expect(formatTags(parseTagList(text, 'OPENAI_REQUEST_TAGS'))).toEqual(formatTags(tags));
      }),
      RUNS,
    );
  });

  it('round-trips whatever it accepted', () => {
    fc.assert(
      fc.property(listish, (text) => {
        const outcome = outcomeOf(() => parseTagList(text, 'OPENAI_REQUEST_TAGS'));
        if (!outcome.ok) return;
        const again = parseTagList(formatTags(outcome.value).join(','), 'OPENAI_REQUEST_TAGS');
        expect(formatTags(again)).toEqual(formatTags(outcome.value));
      }),
      RUNS,
    );
  });

  it('accepts only values that can be stored and queried back: well-formed Unicode', () => {
    const lone = fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff');
    fc.assert(
      fc.property(keyArb, valueArb, lone, (key, value, surrogate) => {
        const text = `${key}:${value.slice(0, 199)}${surrogate}`;
        const outcome = outcomeOf(() => parseTagList(text, 'tags'));
        if (outcome.ok) {
          for (const parsed of outcome.value.values()) expect(parsed).not.toMatch(LONE_SURROGATE);
        } else {
          expectConfigErrorFrom(outcome.error, 'tags');
        }
      }),
      RUNS,
    );
  });
});

describe('toTagMap', () => {
  it('parses strings, arrays and records or throws OpenAIOpsConfigError naming the source', () => {
    const input = fc.oneof(
      listish,
      fc.array(listish, { maxLength: 4 }),
      fc.dictionary(fc.string({ unit: tricky, maxLength: 8 }), fc.string({ unit: tricky }), {
        maxKeys: 4,
      }),
      fc.dictionary(keyArb, valueArb, { maxKeys: 4 }),
    );
    fc.assert(
      fc.property(input, (value) => {
        const outcome = outcomeOf(() => toTagMap(value, 'tags'));
        if (outcome.ok) expectValidTags(outcome.value);
        else expectConfigErrorFrom(outcome.error, 'tags');
      }),
      RUNS,
    );
  });

  it('reads a string, an array and a record of the same tags alike', () => {
    fc.assert(
      fc.property(tagMapArb, (tags) => {
        const formatted = formatTags(tags);
        const expected = formatTags(toTagMap(formatted.join(','), 'tags'));
        expect(formatTags(toTagMap(formatted, 'tags'))).toEqual(expected);
        // A record's key order is JavaScript's (integer-like keys first), so compare contents.
        const fromRecord = formatTags(toTagMap(Object.fromEntries(tags), 'tags'));
        expect(fromRecord.sort()).toEqual([...expected].sort());
      }),
      RUNS,
    );
  });
});

describe('mergeTags', () => {
  /** The documented rule, written the slow way: first position, last value. */
  function model(layers: readonly TagMap[]): [string, string][] {
    const order: string[] = [];
    const values = new Map<string, string>();
    for (const layer of layers) {
      for (const [key, value] of layer) {
        if (!order.includes(key)) order.push(key);
        values.set(key, value);
      }
    }
    return order.map((key) => [key, values.get(key) as string]);
  }

  it('keeps the first position and the last value of every key', () => {
    const smallKeys = fc.constantFrom('env', 'service', 'workload', '__proto__', 'constructor');
    const layer = fc
      .array(fc.tuple(fc.oneof(smallKeys, keyArb), valueArb), { maxLength: 6 })
      .map((entries): TagMap => new Map(entries));
    fc.assert(
      fc.property(fc.array(layer, { maxLength: 5 }), (layers) => {
        expect([...mergeTags(...layers)]).toEqual(model(layers));
      }),
      RUNS,
    );
  });

  it('skips undefined layers and never changes its inputs', () => {
    fc.assert(
      fc.property(tagMapArb, tagMapArb, (first, second) => {
        const before = [formatTags(first), formatTags(second)];
        const merged = mergeTags(undefined, first, undefined, second);
        expect([...merged]).toEqual(model([first, second]));
        expect([formatTags(first), formatTags(second)]).toEqual(before);
      }),
      RUNS,
    );
  });
});
