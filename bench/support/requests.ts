/** The calls the benchmarks make, one small function per kind of request. */
import type OpenAI from 'openai';

export type RequestKind =
  'embeddings' | 'responses' | 'chat-stream' | 'chat-stream-usage' | 'embeddings-batch';

/** Inputs in one `embeddings-batch` call, answered as float arrays: about 1 MB of JSON. */
const BATCH_INPUTS = 32;

type Call = (client: OpenAI, index: number) => Promise<void>;

const CALLS: Record<RequestKind, Call> = {
  async embeddings(client, index) {
    await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: `invoice ${index}: 3 lines, net 30, vendor Acme GmbH`,
    });
  },
  async responses(client, index) {
    await client.responses.create({
      model: 'gpt-4.1-mini',
      input: `Summarise invoice ${index} in one sentence.`,
    });
  },
  async 'chat-stream'(client, index) {
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: `Classify ticket ${index}: refund not received.` }],
      stream: true,
    });
    for await (const chunk of stream) void chunk;
  },
  /**
   * The same stream with usage asked for by the caller, so that the bare SDK and the
   * instrumented client send the same request and receive the same, longer, stream: the
   * difference is the instrumentation's own, without the usage it asks for.
   */
  async 'chat-stream-usage'(client, index) {
    const stream = await client.chat.completions.create({
      model: 'gpt-4.1-mini',
      messages: [{ role: 'user', content: `Classify ticket ${index}: refund not received.` }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) void chunk;
  },
  async 'embeddings-batch'(client, index) {
    await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: Array.from({ length: BATCH_INPUTS }, (_, part) => `document ${index}, part ${part}`),
      encoding_format: 'float',
    });
  },
};

export const REQUEST_KINDS = Object.keys(CALLS) as RequestKind[];

/** Makes one call of `kind` and resolves once the whole response has been read. */
export function makeCall(kind: RequestKind, client: OpenAI, index: number): Promise<void> {
  return CALLS[kind](client, index);
}
