import { describe, expect, it } from 'vitest';

import { endpointTemplate } from '../../src/events/endpoint.js';

describe('endpointTemplate', () => {
  it.each([
    ['https://api.openai.com/v1/embeddings', '/embeddings'],
    ['https://api.openai.com/v1/chat/completions?x=1', '/chat/completions'],
    ['https://api.openai.com/v1/videos/video_68d7512d07848190/content', '/videos/{id}/content'],
    ['https://api.openai.com/v1/videos/video_1', '/videos/{id}'],
    ['https://gw.internal/openai/v1/responses/resp_1/input_items', '/responses/{id}/input_items'],
    ['https://api.openai.com/v1/models/gpt-4o-mini', '/models/{model}'],
    ['https://api.openai.com/v1/chatkit/sessions/cksess_1/cancel', '/chatkit/sessions/{id}/cancel'],
    ['https://api.openai.com/v1/realtime/client_secrets', '/realtime/client_secrets'],
    ['https://api.openai.com/v1/requests/req_abc/debug', '/requests/{id}/debug'],
    ['https://api.openai.com/v1/images/generations', '/images/generations'],
    ['https://api.openai.com/v1/vector_stores/vs_1/files/file-2', '/vector_stores/{id}/files/{id}'],
  ])('maps %s to %s', (url, template) => {
    expect(endpointTemplate(url)).toBe(template);
  });
});
