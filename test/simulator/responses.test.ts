import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor } from './helpers.js';

describe('simulator: responses', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator();
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('answers deterministically with plausible usage', async () => {
    const input = 'Summarise the quarterly invoice backlog in two sentences.';
    const first = await client.responses.create({ model: 'gpt-4.1', input });
    const second = await client.responses.create({ model: 'gpt-4.1', input });
    const other = await client.responses.create({ model: 'gpt-4.1', input: `${input} Please.` });

    expect(first.object).toBe('response');
    expect(first.status).toBe('completed');
    expect(first.output_text.length).toBeGreaterThan(20);
    expect(second.output_text).toBe(first.output_text);
    expect(other.output_text).not.toBe(first.output_text);
    expect(first.id).not.toBe(second.id);

    const usage = first.usage!;
    expect(usage.input_tokens).toBeGreaterThanOrEqual(Math.ceil(input.length / 4));
    expect(usage.input_tokens).toBeLessThan(Math.ceil(input.length / 4) + 10);
    expect(usage.output_tokens).toBe(Math.ceil(first.output_text.length / 4));
    expect(usage.output_tokens_details.reasoning_tokens).toBe(0);
    expect(usage.input_tokens_details.cached_tokens).toBe(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
  });

  it('reports reasoning tokens for reasoning models and honours max_output_tokens', async () => {
    const full = await client.responses.create({ model: 'gpt-5', input: 'Plan the audit.' });
    expect(full.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(full.output.map((item) => item.type)).toEqual(['reasoning', 'message']);

    const capped = await client.responses.create({
      model: 'gpt-4o',
      input: 'Plan the audit.',
      max_output_tokens: 16,
    });
    expect(capped.usage!.output_tokens).toBeLessThanOrEqual(16);
    expect(capped.status).toBe('incomplete');
    expect(capped.incomplete_details).toEqual({ reason: 'max_output_tokens' });
  });

  it('streams the real event sequence and the SDK assembles the same text', async () => {
    const input = 'Describe the ledger close.';
    const expected = await client.responses.create({ model: 'gpt-4o-mini', input });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input, stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }

    const deltas = types.filter((type) => type === 'response.output_text.delta').length;
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(deltas).toBeGreaterThan(3);
    expect(sequence).toEqual(types.map((_, index) => index));
    expect(text).toBe(expected.output_text);
    expect(completed?.usage?.total_tokens).toBe(expected.usage?.total_tokens);
  });

  it('works with the responses.stream() helper', async () => {
    const stream = client.responses.stream({ model: 'o4-mini', input: 'Forecast next week.' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();

    expect(final.output_text).toBe(deltas.join(''));
    expect(final.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
  });

  it('retrieves a stored response and 404s an unknown one', async () => {
    const created = await client.responses.create({ model: 'gpt-4o', input: 'Store me.' });
    const fetched = await client.responses.retrieve(created.id);
    expect(fetched.id).toBe(created.id);
    expect(fetched.output_text).toBe(created.output_text);

    await expect(client.responses.retrieve('resp_missing')).rejects.toMatchObject({
      status: 404,
      error: { type: 'invalid_request_error' },
    });
  });

  it('rejects a request without a model with an OpenAI-shaped 400', async () => {
    const error: unknown = await client.responses
      .create({ input: 'no model' } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({
      status: 400,
      param: 'model',
      code: 'missing_required_parameter',
    });
  });
});
