/**
 * Video jobs: `POST /v1/videos` (multipart or JSON) queues a job that advances
 * queued → in_progress → completed over successive retrieves; the content is
 * downloadable once completed. Listing and deleting work as the SDK expects.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { noteModel, type SimEnv } from '../context.js';
import { notFound } from '../errors.js';
import { nowSeconds, objectId } from '../ids.js';
import { isUpload } from '../journal.js';
import { mp4Bytes } from '../media/mp4.js';
import { solidPng } from '../media/png.js';
import { cursorPage } from '../pagination.js';
import { digest } from '../text.js';
import { validate } from '../validation.js';

const retentionSeconds = 24 * 60 * 60;

const createSchema = z.looseObject({
  prompt: z.string().min(1),
  model: z.string().min(1).optional(),
  seconds: z.coerce
    .string()
    .regex(/^[1-9]\d?$/, 'expected a whole number of seconds')
    .optional(),
  size: z.enum(['720x1280', '1280x720', '1024x1792', '1792x1024']).optional(),
  input_reference: z
    .union([
      z.custom<File>(isUpload),
      z.looseObject({ file_id: z.string().optional(), image_url: z.string().optional() }),
    ])
    .optional(),
});

const contentQuery = z.object({
  variant: z.enum(['video', 'thumbnail', 'spritesheet']).optional(),
});

interface Video {
  id: string;
  object: 'video';
  model: string;
  status: 'queued' | 'in_progress' | 'completed';
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  prompt: string;
  seconds: string;
  size: string;
  remixed_from_video_id: null;
  error: null;
}

export function videosRoutes(stepsToComplete: number): Hono<SimEnv> {
  const videos = new Map<string, { video: Video; retrieves: number }>();
  const routes = new Hono<SimEnv>();
  const find = (id: string) => {
    const entry = videos.get(id);
    if (!entry) throw notFound(`Video with id '${id}' not found.`);
    return entry;
  };

  routes.post('/videos', (c) => {
    const video = createVideo(validate(createSchema, c.get('body')));
    videos.set(video.id, { video, retrieves: 0 });
    return c.json(video);
  });
  routes.get('/videos', (c) => {
    const all = [...videos.values()].map((entry) => entry.video);
    return c.json(cursorPage(all, c.req.query()));
  });
  routes.get('/videos/:id', (c) => {
    const entry = find(c.req.param('id'));
    noteModel(c, entry.video.model);
    entry.retrieves += 1;
    advance(entry.video, entry.retrieves / stepsToComplete);
    return c.json(entry.video);
  });
  routes.get('/videos/:id/content', (c) => {
    const { video } = find(c.req.param('id'));
    noteModel(c, video.model);
    const asset = videoAsset(video, validate(contentQuery, c.req.query()).variant ?? 'video');
    return c.body(new Uint8Array(asset.bytes), 200, { 'content-type': asset.contentType });
  });
  routes.delete('/videos/:id', (c) => {
    const { video } = find(c.req.param('id'));
    videos.delete(video.id);
    return c.json({ id: video.id, object: 'video.deleted', deleted: true });
  });

  return routes;
}

function createVideo(params: z.output<typeof createSchema>): Video {
  return {
    id: objectId('video_'),
    object: 'video',
    model: params.model ?? 'sora-2',
    status: 'queued',
    progress: 0,
    created_at: nowSeconds(),
    completed_at: null,
    expires_at: null,
    prompt: params.prompt,
    seconds: params.seconds ?? '4',
    size: params.size ?? '720x1280',
    remixed_from_video_id: null,
    error: null,
  };
}

function advance(video: Video, fractionDone: number): void {
  if (video.status === 'completed') return;
  if (fractionDone < 1) {
    video.status = 'in_progress';
    video.progress = Math.floor(fractionDone * 100);
    return;
  }
  video.status = 'completed';
  video.progress = 100;
  video.completed_at = nowSeconds();
  video.expires_at = video.completed_at + retentionSeconds;
}

/** The clip as MP4, thumbnails and spritesheets as PNG; a 404 until the job completes. */
function videoAsset(video: Video, variant: string): { bytes: Buffer; contentType: string } {
  if (video.status !== 'completed') {
    throw notFound(`Video is not ready yet; retrieve video '${video.id}' until it completes.`);
  }
  const seed = digest('video', video.id, video.prompt);
  if (variant === 'video') {
    return { bytes: mp4Bytes(Number(video.seconds), seed), contentType: 'video/mp4' };
  }
  return { bytes: solidPng([seed[0] ?? 0, seed[1] ?? 0, seed[2] ?? 0]), contentType: 'image/png' };
}
