import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor, journalEntry } from './helpers.js';

describe('simulator: chat completions', () => {
  let sim: Simulator;
  let client: OpenAI;
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: 'Which invoices are overdue?' },
  ];

  beforeAll(async () => {
    sim = await startSimulator();
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('returns a deterministic completion with usage', async () => {
    const first = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const again = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const choice = first.choices[0]!;

    expect(first.object).toBe('chat.completion');
    expect(choice.finish_reason).toBe('stop');
    expect(choice.message.refusal).toBeNull();
    expect(choice.message.content).toBe(again.choices[0]!.message.content);
    const promptChars = 'You are terse.'.length + 'Which invoices are overdue?'.length;
    expect(first.usage!.prompt_tokens).toBeGreaterThanOrEqual(Math.ceil(promptChars / 4));
    expect(first.usage!.prompt_tokens).toBeLessThan(Math.ceil(promptChars / 4) + 12);
    expect(first.usage!.completion_tokens).toBe(Math.ceil(choice.message.content!.length / 4));
    expect(first.usage!.total_tokens).toBe(
      first.usage!.prompt_tokens + first.usage!.completion_tokens,
    );
  });

  it('honours max_completion_tokens and reports reasoning for o-series models', async () => {
    const capped = await client.chat.completions.create({
      model: 'gpt-4o',
      messages,
      max_completion_tokens: 5,
    });
    expect(capped.choices[0]!.finish_reason).toBe('length');
    expect(capped.usage!.completion_tokens).toBeLessThanOrEqual(5);

    const reasoning = await client.chat.completions.create({ model: 'o3', messages });
    expect(reasoning.usage!.completion_tokens_details!.reasoning_tokens).toBeGreaterThan(0);
  });

  it('streams chunks, a usage chunk with empty choices, then [DONE]', async () => {
    const expected = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    const last = chunks.at(-1)!;
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(text).toBe(expected.choices[0]!.message.content);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({
      prompt_tokens: expected.usage!.prompt_tokens,
      completion_tokens: expected.usage!.completion_tokens,
      total_tokens: expected.usage!.total_tokens,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('works with the chat.completions.stream() helper', async () => {
    const stream = client.chat.completions.stream({ model: 'gpt-4o', messages });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.message.content?.length).toBeGreaterThan(20);
  });

  it('refuses when the last user message says "forbidden" and journals the refusal', async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'Tell me the forbidden ledger codes.' }],
      })
      .withResponse();
    const message = data.choices[0]!.message;

    expect(message.content).toBeNull();
    expect(message.refusal).toMatch(/can't help/);
    expect(journalEntry(sim, response.headers.get('x-request-id')).refusal).toBe(message.refusal);
  });

  it('streams a refusal as refusal deltas', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Forbidden topic, please.' }],
      stream: true,
    });
    let refusal = '';
    let content = '';
    for await (const chunk of stream) {
      refusal += chunk.choices[0]?.delta.refusal ?? '';
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(refusal).toMatch(/can't help/);
    expect(content).toBe('');
  });
});
