import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor, journalEntry } from './helpers.js';

function norm(vector: readonly number[]): number {
  return Math.sqrt(vector.reduce((total, value) => total + value * value, 0));
}

describe('simulator: embeddings', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator();
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('returns unit vectors of the model dimension via the SDK default (base64)', async () => {
    const { data: result, response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] })
      .withResponse();

    expect(journalEntry(sim, response.headers.get('x-request-id')).body).toMatchObject({
      encoding_format: 'base64',
    });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]!.embedding).toHaveLength(1536);
    expect(norm(result.data[0]!.embedding)).toBeCloseTo(1, 5);
    expect(result.data[0]!.embedding).not.toEqual(result.data[1]!.embedding);
    expect(result.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('is deterministic across calls and identical in float and base64', async () => {
    const input = 'quarterly close checklist';
    const asBase64 = await client.embeddings.create({ model: 'text-embedding-3-large', input });
    const again = await client.embeddings.create({ model: 'text-embedding-3-large', input });
    const asFloat = await client.embeddings.create({
      model: 'text-embedding-3-large',
      input,
      encoding_format: 'float',
    });

    expect(asBase64.data[0]!.embedding).toHaveLength(3072);
    expect(again.data[0]!.embedding).toEqual(asBase64.data[0]!.embedding);
    expect(asFloat.data[0]!.embedding).toEqual(asBase64.data[0]!.embedding);
  });

  it('honours dimensions and rejects them for ada-002', async () => {
    const short = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: 'short',
      dimensions: 256,
    });
    expect(short.data[0]!.embedding).toHaveLength(256);
    expect(norm(short.data[0]!.embedding)).toBeCloseTo(1, 5);

    const ada = await client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x' });
    expect(ada.data[0]!.embedding).toHaveLength(1536);
    await expect(
      client.embeddings.create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }),
    ).rejects.toMatchObject({ status: 400, param: 'dimensions' });
  });

  it('accepts token arrays', async () => {
    const result = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
    });
    expect(result.data).toHaveLength(2);
    expect(result.usage.prompt_tokens).toBe(5);
  });
});
