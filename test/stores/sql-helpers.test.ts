import { describe, expect, it } from 'vitest';
import { toStorableJson } from '../../src/stores/json-text.js';
import { buildEventQuery, MAX_QUERY_LIMIT } from '../../src/stores/query-events.js';
import { toRecords } from '../../src/stores/sql-event-store.js';
import { splitRepeatedKeys } from '../../src/stores/write-events.js';
import { makeRow } from './support/rows.js';

describe('toRecords', () => {
  it('keeps every column when names repeat', () => {
    const result = { columns: ['a', '?column?', 'a', '?column?', 'a_2'], rows: [[1, 2, 3, 4, 5]] };
    expect(toRecords(result)).toEqual([{ a: 1, '?column?': 2, a_2: 3, '?column?_2': 4, a_2_2: 5 }]);
  });
});

describe('toStorableJson', () => {
  it('returns plain JSON untouched', () => {
    const value = { text: 'a "quoted" \\ back\nslash ✓ 😀', n: [1, null] };
    expect(toStorableJson(value)).toBe(JSON.stringify(value));
  });

  it('drops NUL and replaces unpaired surrogates, in values and keys', () => {
    const value = { ['k\u0000']: ['x\u0000y', 'cut\ud83d', '\ude00end', 'ok😀'] };
    expect(JSON.parse(toStorableJson(value))).toEqual({
      k: ['xy', 'cut\ufffd', '\ufffdend', 'ok😀'],
    });
  });

  it('writes null for undefined', () => {
    expect(toStorableJson(undefined)).toBe('null');
  });
});

describe('buildEventQuery', () => {
  it('passes every value as a parameter', () => {
    const hostile = "x'); drop table openai_debug_events; --";
    const { text, params } = buildEventQuery({ tags: [hostile], endpoint: hostile, limit: 5 });
    expect(text).not.toContain(hostile);
    expect(params).toEqual([JSON.stringify([hostile]), hostile, 5]);
  });

  it('bounds the limit', () => {
    expect(buildEventQuery({ limit: 0 }).params).toEqual([1]);
    expect(buildEventQuery({ limit: 1e9 }).params).toEqual([MAX_QUERY_LIMIT]);
    expect(buildEventQuery({}).params).toEqual([50]);
  });
});

describe('splitRepeatedKeys', () => {
  it('puts each repeat of a key in a later part, keeping order', () => {
    const [a, b] = [makeRow(), makeRow()];
    const retry = { ...a, attempt: 2 };
    expect(splitRepeatedKeys([a, b, a, retry, a])).toEqual([[a, b, retry], [a], [a]]);
  });
});
