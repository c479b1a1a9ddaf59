/**
 * Endpoint templates: `/v1/videos/video_68a1/content` becomes `/videos/{id}/content`, so
 * events group by operation rather than by resource id.
 */

/** Path words of the OpenAI REST API; any other segment is a resource id. */
const API_WORDS = new Set(
  (
    'admin_api_keys api_keys assistants audio audit_logs batches calls cancel certificates chat ' +
    'chatkit checkpoints client_secrets complete completions containers content conversations ' +
    'costs debug edits embeddings evals events file_batches files fine_tuning generations ' +
    'images input_items input_tokens invites items jobs messages models moderations ' +
    'organization parts pause permissions projects rate_limits realtime remix requests ' +
    'responses resume runs search service_accounts sessions speech steps threads ' +
    'transcriptions translations uploads usage users variations vector_stores videos'
  ).split(' '),
);

/** Templates of URLs seen lately: a client calls the same few URLs again and again. */
const templates = new Map<string, string>();
const MAX_REMEMBERED_URLS = 1024;

/**
 * The operation a URL addresses, relative to the API root: everything up to and including
 * the first `/v1` segment is dropped, query strings are ignored, ids become `{id}` and the
 * model name in `/models/{model}` becomes `{model}`.
 */
export function endpointTemplate(url: string): string {
  let template = templates.get(url);
  if (template === undefined) {
    template = templateOf(url);
    // URLs with resource ids are many and each seen rarely: start over rather than grow.
    if (templates.size >= MAX_REMEMBERED_URLS) templates.clear();
    templates.set(url, template);
  }
  return template;
}

function templateOf(url: string): string {
  const path = pathOf(url);
  const segments = path.split('/').filter((segment) => segment !== '');
  const v1 = segments.findIndex((segment) => segment.toLowerCase() === 'v1');
  const rest = v1 === -1 ? segments : segments.slice(v1 + 1);
  const template = rest.map((segment, index) => {
    if (API_WORDS.has(segment)) return segment;
    return rest[index - 1] === 'models' ? '{model}' : '{id}';
  });
  return `/${template.join('/')}`;
}

function pathOf(url: string): string {
  const queryStart = url.search(/[?#]/);
  const withoutQuery = queryStart === -1 ? url : url.slice(0, queryStart);
  const schemeEnd = withoutQuery.indexOf('://');
  if (schemeEnd === -1) return withoutQuery;
  const pathStart = withoutQuery.indexOf('/', schemeEnd + 3);
  return pathStart === -1 ? '/' : withoutQuery.slice(pathStart);
}
