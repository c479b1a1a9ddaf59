import OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import type { RealtimeServerEvent } from 'openai/resources/realtime/realtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  realtimeSocketOptions,
  startSimulator,
  type Simulator,
} from '../../src/simulator/index.js';
import { clientFor, testKey } from './helpers.js';

/** Collects every server event and resolves when one of `type` arrives. */
function eventLog(rt: OpenAIRealtimeWS) {
  const events: RealtimeServerEvent[] = [];
  const waiters: { type: string; resolve: (event: RealtimeServerEvent) => void }[] = [];
  rt.on('event', (event) => {
    events.push(event);
    for (const waiter of waiters.filter((entry) => entry.type === event.type)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(event);
    }
  });
  const next = (type: string) =>
    new Promise<RealtimeServerEvent>((resolve) => waiters.push({ type, resolve }));
  return { events, next };
}

describe('simulator: realtime', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ keys: [{ key: testKey }] });
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('issues an ephemeral client secret for a session', async () => {
    const secret = await client.realtime.clientSecrets.create({
      session: { type: 'realtime', model: 'gpt-realtime', instructions: 'Be brief.' },
    });
    expect(secret.value).toMatch(/^ek_/);
    expect(secret.expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(secret.session).toMatchObject({
      type: 'realtime',
      object: 'realtime.session',
      model: 'gpt-realtime',
      instructions: 'Be brief.',
    });
  });

  it('runs a session through OpenAIRealtimeWS: update, item, response with usage', async () => {
    const rt = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: realtimeSocketOptions(sim) },
      client,
    );
    const errors: Error[] = [];
    rt.on('error', (error) => errors.push(error));
    const log = eventLog(rt);

    const created = await log.next('session.created');
    expect(created).toMatchObject({ session: { type: 'realtime', model: 'gpt-realtime' } });

    rt.send({ type: 'session.update', session: { type: 'realtime', output_modalities: ['text'] } });
    const updated = await log.next('session.updated');
    expect(updated).toMatchObject({ session: { output_modalities: ['text'] } });

    rt.send({
      type: 'conversation.item.create',
      item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello!' }] },
    });
    await log.next('conversation.item.created');

    rt.send({ type: 'response.create' });
    const done = await log.next('response.done');
    const text = log.events
      .filter((event) => event.type === 'response.output_text.delta')
      .map((event) => event.delta)
      .join('');

    expect(done.type === 'response.done' && done.response.status).toBe('completed');
    expect(done.type === 'response.done' && done.response.usage?.total_tokens).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThan(10);
    const eventIds = log.events.map((event) => ('event_id' in event ? event.event_id : undefined));
    expect(eventIds.every((id) => id?.startsWith('event_'))).toBe(true);
    expect(new Set(eventIds).size).toBe(log.events.length);
    expect(errors).toEqual([]);

    const closed = new Promise((resolve) => rt.socket.once('close', resolve));
    rt.close();
    expect(await closed).toBe(1000);
    const session = sim.requests.find((request) => request.path === '/v1/realtime');
    expect(session).toMatchObject({ method: 'GET', model: 'gpt-realtime', statusCode: 101 });
  });

  it('streams audio transcript deltas when the session speaks', async () => {
    const rt = new OpenAIRealtimeWS(
      { model: 'gpt-realtime-mini', options: realtimeSocketOptions(sim) },
      client,
    );
    const log = eventLog(rt);
    await log.next('session.created');
    rt.send({ type: 'response.create' });
    await log.next('response.done');
    rt.close();

    const types = log.events.map((event) => event.type);
    expect(types).toContain('response.output_audio_transcript.delta');
    expect(types).toContain('response.output_audio.delta');
    expect(types).not.toContain('response.output_text.delta');
  });

  it('accepts the ephemeral key and refuses a wrong key with a 401 before upgrading', async () => {
    const secret = await client.realtime.clientSecrets.create({});
    const ephemeral = new OpenAIRealtimeWS(
      { model: 'gpt-realtime', options: realtimeSocketOptions(sim) },
      new OpenAI({ apiKey: secret.value, baseURL: sim.baseURL }),
    );
    await eventLog(ephemeral).next('session.created');
    ephemeral.close();

    const socket = new WebSocket(
      `${sim.url.replace('http', 'ws')}/v1/realtime?model=gpt-realtime`,
      {
        headers: { Authorization: 'Bearer sk-wrong-key-000000000' },
      },
    );
    const rejection = await new Promise<{ status: number; body: string }>((resolve) => {
      socket.on('open', () => resolve({ status: 101, body: '' }));
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
    });
    expect(rejection.status).toBe(401);
    expect(JSON.parse(rejection.body)).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect(rejection.body).not.toContain('sk-wrong-key-000000000');
  });
});
