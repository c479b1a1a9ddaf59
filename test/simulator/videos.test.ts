import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { clientFor } from './helpers.js';

describe('simulator: videos', () => {
  let sim: Simulator;
  let client: OpenAI;

  beforeAll(async () => {
    sim = await startSimulator({ videoStepsToComplete: 3 });
    client = clientFor(sim);
  });
  afterAll(() => sim.close());

  it('advances queued → in_progress → completed, then serves the MP4', async () => {
    const created = await client.videos.create({
      model: 'sora-2',
      prompt: 'A ledger filling itself in',
      seconds: '4',
    });
    expect(created).toMatchObject({ object: 'video', status: 'queued', progress: 0 });
    const upload = sim.requests.find((request) => request.path === '/v1/videos');
    expect(upload?.headers['content-type']).toMatch(/^multipart\/form-data/);

    await expect(client.videos.downloadContent(created.id)).rejects.toMatchObject({ status: 404 });
    const seen: string[] = [];
    let video = created;
    while (video.status !== 'completed' && seen.length < 10) {
      video = await client.videos.retrieve(created.id);
      seen.push(`${video.status}:${video.progress}`);
    }
    expect(seen).toEqual(['in_progress:33', 'in_progress:66', 'completed:100']);
    expect(video.completed_at).toBeGreaterThanOrEqual(video.created_at);

    const content = await client.videos.downloadContent(created.id);
    const bytes = Buffer.from(await content.arrayBuffer());
    expect(content.headers.get('content-type')).toBe('video/mp4');
    expect(bytes.toString('ascii', 4, 8)).toBe('ftyp');
    expect(bytes.length).toBeGreaterThan(4 * 1024);
  });

  it('lists, serves a thumbnail and deletes', async () => {
    const video = await client.videos.create({ prompt: 'Thumbnail please' });
    const page = await client.videos.list();
    expect(page.data.map((entry) => entry.id)).toContain(video.id);
    expect(page.data[0]!.id).toBe(video.id);

    for (let step = 0; step < 3; step += 1) await client.videos.retrieve(video.id);
    const thumbnail = await client.videos.downloadContent(video.id, { variant: 'thumbnail' });
    const png = Buffer.from(await thumbnail.arrayBuffer());
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');

    const deleted = await client.videos.delete(video.id);
    expect(deleted).toMatchObject({ id: video.id, object: 'video.deleted', deleted: true });
    await expect(client.videos.retrieve(video.id)).rejects.toMatchObject({ status: 404 });
  });

  it('accepts a JSON body as well as multipart', async () => {
    const video = await client.post<OpenAI.Videos.Video>('/videos', {
      body: { prompt: 'Sent as JSON', size: '1280x720' },
    });
    expect(video).toMatchObject({ status: 'queued', size: '1280x720', model: 'sora-2' });
  });
});
