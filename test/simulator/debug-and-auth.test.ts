import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor, journalEntry } from './helpers.js';

const financeKey = 'sk-finance-0123456789wxyz';
const plainKey = 'sk-plain-0123456789abcd';

describe('simulator: headers, authentication and the debug endpoint', () => {
  let sim: Simulator;
  let client: OpenAI;
  const logLines: object[] = [];

  beforeAll(async () => {
    sim = await startSimulator({
      keys: [{ key: financeKey, organization: 'org-finance' }, { key: plainKey }],
      logger: (line) => logLines.push(line),
    });
    client = clientFor(sim, { apiKey: financeKey });
  });
  afterAll(() => sim.close());

  it('sets the OpenAI response headers, with rate limits falling per key', async () => {
    const first = await client.models.list().withResponse();
    const second = await client.models.list().withResponse();
    const headers = second.response.headers;

    expect(headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(headers.get('x-request-id')).not.toBe(first.response.headers.get('x-request-id'));
    expect(headers.get('openai-organization')).toBe('org-finance');
    expect(headers.get('openai-processing-ms')).toMatch(/^\d+$/);
    expect(headers.get('openai-version')).toBe('2020-10-01');
    expect(headers.get('x-ratelimit-limit-requests')).toBe('10000');
    expect(headers.get('x-ratelimit-limit-tokens')).toBe('2000000');
    expect(headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|s)$/);
    expect(headers.get('x-ratelimit-reset-tokens')).toMatch(/^\d+(ms|s)$/);
    expect(Number(headers.get('x-ratelimit-remaining-requests'))).toBe(
      Number(first.response.headers.get('x-ratelimit-remaining-requests')) - 1,
    );
    expect(Number(headers.get('x-ratelimit-remaining-tokens'))).toBeLessThanOrEqual(2_000_000);
  });

  it('echoes the request organization and falls back to user-simulator', async () => {
    const plain = clientFor(sim, { apiKey: plainKey, organization: 'org-ops' });
    const echoed = await plain.models.list().withResponse();
    expect(echoed.response.headers.get('openai-organization')).toBe('org-ops');

    const bare = await clientFor(sim, { apiKey: plainKey }).models.list().withResponse();
    expect(bare.response.headers.get('openai-organization')).toBe('user-simulator');
  });

  it('answers a wrong key with 401 invalid_api_key and a masked key', async () => {
    const wrong = clientFor(sim, { apiKey: 'sk-not-a-real-key-9876' });
    const error: unknown = await wrong.models.list().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.message).toContain('sk-...9876');
    expect(apiError.message).not.toContain('not-a-real');
    expect(apiError.requestID).toMatch(/^req_/);
  });

  it('answers a mismatched organization with 401 mismatched_organization', async () => {
    const mismatched = clientFor(sim, { apiKey: financeKey, organization: 'org-other' });
    await expect(mismatched.models.list()).rejects.toMatchObject({
      status: 401,
      code: 'mismatched_organization',
    });
  });

  it('answers an unknown route with an OpenAI-shaped 404', async () => {
    await expect(client.get('/nope')).rejects.toMatchObject({
      status: 404,
      error: { message: 'Invalid URL (GET /v1/nope)', type: 'invalid_request_error' },
    });
  });

  it('journals requests without the authorization header', async () => {
    const { response } = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'journal me' })
      .withResponse();
    const entry = journalEntry(sim, response.headers.get('x-request-id'));

    expect(entry).toMatchObject({
      method: 'POST',
      path: '/v1/embeddings',
      apiKey: financeKey,
      model: 'text-embedding-3-small',
      statusCode: 200,
      body: { input: 'journal me' },
    });
    expect(entry.headers.authorization).toBeUndefined();
    expect(JSON.stringify(logLines)).not.toContain(financeKey);
  });

  it('reports status and refusal of earlier requests at /v1/requests/{id}/debug', async () => {
    const refused = await client.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'forbidden, please' }] })
      .withResponse();
    const failed = await client.responses.retrieve('resp_missing').catch((error: unknown) => error);
    const failedId = (failed as InstanceType<typeof OpenAI.NotFoundError>).requestID;

    const refusedDebug = await client.get(
      `/requests/${refused.response.headers.get('x-request-id')}/debug`,
    );
    const failedDebug = await client.get(`/requests/${failedId}/debug`);

    expect(refusedDebug).toMatchObject({
      object: 'request.debug',
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-4o',
      response: { status_code: 200, refusal: refused.data.choices[0]!.message.refusal },
    });
    expect(failedDebug).toMatchObject({ response: { status_code: 404, refusal: null } });
    await expect(client.get('/requests/req_unknown/debug')).rejects.toMatchObject({ status: 404 });
    await expect(
      clientFor(sim, { apiKey: 'sk-bad-000000000000' }).get(`/requests/${failedId}/debug`),
    ).rejects.toMatchObject({ status: 401 });
  });
});
