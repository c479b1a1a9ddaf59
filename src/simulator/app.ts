/**
 * The simulator's HTTP application: journal and headers, faults, body, authentication,
 * then one route module per API family under `/v1`, with OpenAI-shaped 404s and errors.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { authenticate } from './auth.js';
import { readBody } from './body.js';
import type { SimEnv } from './context.js';
import { errorBody, HttpError } from './errors.js';
import { networkFaults, responseFaults } from './fault-middleware.js';
import { chatRoutes } from './routes/chat.js';
import { chatkitRoutes } from './routes/chatkit.js';
import { debugRoutes } from './routes/debug.js';
import { embeddingsRoutes } from './routes/embeddings.js';
import { filesRoutes } from './routes/files.js';
import { imagesRoutes } from './routes/images.js';
import { modelsRoutes } from './routes/models.js';
import { realtimeRoutes } from './routes/realtime.js';
import { responsesRoutes } from './routes/responses.js';
import { speechRoutes } from './routes/speech.js';
import { transcriptionsRoutes } from './routes/transcriptions.js';
import { videosRoutes } from './routes/videos.js';
import type { SimulatorState } from './state.js';
import { traceRequests } from './trace.js';

export function createApp(state: SimulatorState): Hono<SimEnv> {
  const app = new Hono<SimEnv>();

  app.use(traceRequests(state), networkFaults(state), readBody, requireKey(state), responseFaults);
  const routeGroups = [
    responsesRoutes(),
    chatRoutes(),
    embeddingsRoutes(),
    speechRoutes(),
    transcriptionsRoutes(),
    videosRoutes(state.videoStepsToComplete),
    realtimeRoutes(state),
    chatkitRoutes(),
    modelsRoutes(),
    imagesRoutes(),
    filesRoutes(),
    debugRoutes(state),
  ];
  for (const routes of routeGroups) app.route('/v1', routes);

  app.notFound((c) => c.json(errorBody(`Invalid URL (${c.req.method} ${c.req.path})`), 404));
  app.onError((error, c) => {
    if (error instanceof HttpError) {
      return c.json(error.body, error.status as ContentfulStatusCode);
    }
    state.log('simulator.route_failed', { path: c.req.path, message: error.message });
    return c.json(
      errorBody('The simulator failed to handle the request.', { type: 'server_error' }),
      500,
    );
  });
  return app;
}

function requireKey(state: SimulatorState): MiddlewareHandler<SimEnv> {
  return async (c, next) => {
    const record = c.get('record');
    c.set('caller', authenticate(state.httpKeyRing, record.apiKey, record.organization));
    await next();
  };
}
