import { describe, expect, it } from 'vitest';

import { OpenAIOpsConfigError } from '../../src/config/errors.js';
import { formatTags, mergeTags, parseTagList, toTagMap } from '../../src/openai/tags.js';

const parse = (text: string) => formatTags(parseTagList(text, 'OPENAI_REQUEST_TAGS'));

function errorOf(fn: () => unknown): OpenAIOpsConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OpenAIOpsConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('parseTagList', () => {
  it('parses comma-separated key:value pairs, trimming whitespace', () => {
    expect(parse(' service:rag , env:prod,workload:ledger ')).toEqual([
      'service:rag',
      'env:prod',
      'workload:ledger',
    ]);
  });

  it('accepts the documented key characters and colons inside values', () => {
    expect(parse('team_a.sub-1:x,url:https://svc/path')).toEqual([
      'team_a.sub-1:x',
      'url:https://svc/path',
    ]);
  });

  it('ignores empty entries such as a trailing comma', () => {
    expect(parse('service:rag,,env:prod,')).toEqual(['service:rag', 'env:prod']);
    expect(parse('')).toEqual([]);
  });

  it('keeps the last value of a repeated key in its first position', () => {
    expect(parse('env:dev,service:rag,env:prod')).toEqual(['env:prod', 'service:rag']);
  });

  it.each([
    ['service', 'is not of the form key:value'],
    [':rag', 'has an empty key'],
    ['service:', 'has an empty value'],
    ['Service:rag', 'characters other than'],
    ['ser vice:rag', 'characters other than'],
    ['service:r ag', 'whitespace'],
    ['service:r\tag', 'whitespace'],
    ['service:r\u0000ag', 'control character'],
    [`${'k'.repeat(65)}:v`, 'key longer than 64'],
    [`k:${'v'.repeat(201)}`, 'value longer than 200'],
  ])('rejects %j, quoting it and naming the variable', (entry, problem) => {
    const error = errorOf(() => parseTagList(`env:prod,${entry}`, 'OPENAI_REQUEST_TAGS'));
    expect(error.variable).toBe('OPENAI_REQUEST_TAGS');
    expect(error.message).toContain('OPENAI_REQUEST_TAGS');
    expect(error.message).toContain(problem);
    expect(error.message).toContain(JSON.stringify(entry.trim()).slice(0, 40));
  });
});

describe('toTagMap', () => {
  it('accepts a string, an array or a record', () => {
    expect(formatTags(toTagMap('a:1,b:2', 'tags'))).toEqual(['a:1', 'b:2']);
    expect(formatTags(toTagMap(['a:1', 'b:2'], 'tags'))).toEqual(['a:1', 'b:2']);
    expect(formatTags(toTagMap({ a: '1', b: '2' }, 'tags'))).toEqual(['a:1', 'b:2']);
  });

  it('validates record keys and values', () => {
    expect(() => toTagMap({ 'Bad Key': 'x' }, 'tags')).toThrow(OpenAIOpsConfigError);
    expect(() => toTagMap({ ok: 'has,comma' }, 'tags')).toThrow(/comma/);
  });
});

describe('mergeTags', () => {
  it('lets later layers win while keeping first positions', () => {
    const merged = mergeTags(
      parseTagList('service:rag,env:staging', 'A'),
      parseTagList('env:prod,team:ledger', 'B'),
    );
    expect(formatTags(merged)).toEqual(['service:rag', 'env:prod', 'team:ledger']);
  });
});
