import type OpenAI from 'openai';
import { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor, journalEntry } from './helpers.js';

describe('simulator: chatkit, models, images and files', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator();
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('creates and cancels a ChatKit session with the beta header', async () => {
    const { data: session, response } = await client.beta.chatkit.sessions
      .create({
        user: 'user-42',
        workflow: { id: 'wf_finance', state_variables: { tier: 'gold' } },
      })
      .withResponse();

    expect(journalEntry(sim, response.headers.get('x-request-id')).headers['openai-beta']).toBe(
      'chatkit_beta=v1',
    );
    expect(session).toMatchObject({
      object: 'chatkit.session',
      status: 'active',
      user: 'user-42',
      workflow: { id: 'wf_finance', state_variables: { tier: 'gold' }, version: null },
      rate_limits: { max_requests_per_1_minute: 10 },
      chatkit_configuration: { history: { enabled: true } },
    });
    expect(session.client_secret).toMatch(/^ek_/);
    expect(session.expires_at).toBeGreaterThan(Date.now() / 1000);

    const cancelled = await client.beta.chatkit.sessions.cancel(session.id);
    expect(cancelled).toMatchObject({ id: session.id, status: 'cancelled' });
  });

  it('lists and retrieves models, and 404s an unknown one', async () => {
    const models = await client.models.list();
    const ids = models.data.map((model) => model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-5', 'text-embedding-3-small', 'sora-2']));

    const model = await client.models.retrieve('gpt-4o');
    expect(model).toMatchObject({ id: 'gpt-4o', object: 'model', owned_by: 'system' });
    await expect(client.models.retrieve('gpt-0')).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('generates a valid PNG with usage for gpt-image models', async () => {
    const result = await client.images.generate({ model: 'gpt-image-1', prompt: 'A calm ledger' });
    const png = Buffer.from(result.data![0]!.b64_json!, 'base64');

    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]));
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect(result.usage).toMatchObject({ input_tokens: 4, output_tokens: 272, total_tokens: 276 });
  });

  it('uploads, lists, reads and deletes files', async () => {
    const upload = await client.files.create({
      file: await toFile(Buffer.from('{"prompt":"hi"}\n'), 'batch.jsonl'),
      purpose: 'batch',
    });
    expect(upload).toMatchObject({
      object: 'file',
      filename: 'batch.jsonl',
      bytes: 16,
      purpose: 'batch',
      status: 'processed',
    });
    expect(journalEntry(sim, upload._request_id).body).toMatchObject({
      purpose: 'batch',
      file: { name: 'batch.jsonl', size: 16 },
    });

    const page = await client.files.list({ purpose: 'batch' });
    expect(page.data.map((file) => file.id)).toEqual([upload.id]);
    expect((await client.files.retrieve(upload.id)).filename).toBe('batch.jsonl');
    expect(await (await client.files.content(upload.id)).text()).toBe('{"prompt":"hi"}\n');

    expect(await client.files.delete(upload.id)).toMatchObject({ id: upload.id, deleted: true });
    await expect(client.files.retrieve(upload.id)).rejects.toMatchObject({ status: 404 });
  });
});
