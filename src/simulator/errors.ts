/** OpenAI-shaped error bodies, and the realistic ones faults answer with. */

export interface ErrorDetails {
  type?: string;
  param?: string | null;
  code?: string | null;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(message: string, details: ErrorDetails = {}): OpenAIErrorBody {
  return {
    error: {
      message,
      type: details.type ?? 'invalid_request_error',
      param: details.param ?? null,
      code: details.code ?? null,
    },
  };
}

interface FaultError {
  message: string;
  type: string;
  code: string | null;
}

const faultErrors: Record<number, FaultError> = {
  400: {
    message: 'Simulated fault: the request was rejected.',
    type: 'invalid_request_error',
    code: null,
  },
  401: {
    message: 'Simulated fault: the API key was rejected.',
    type: 'invalid_request_error',
    code: 'invalid_api_key',
  },
  403: {
    message: 'Country, region, or territory not supported.',
    type: 'request_forbidden',
    code: 'unsupported_country_region_territory',
  },
  404: {
    message: 'Simulated fault: resource not found.',
    type: 'invalid_request_error',
    code: null,
  },
  409: {
    message: 'Simulated fault: conflicting request.',
    type: 'invalid_request_error',
    code: null,
  },
  429: {
    message:
      'Rate limit reached for requests per min (RPM): Limit 10000, Used 10000, Requested 1. ' +
      'Please try again in 6ms.',
    type: 'requests',
    code: 'rate_limit_exceeded',
  },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: 'server_error',
  },
  502: { message: 'Bad gateway.', type: 'server_error', code: 'bad_gateway' },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    code: 'service_unavailable',
  },
  504: { message: 'The request timed out.', type: 'server_error', code: 'timeout' },
};

/** Thrown by routes and rendered by the app as an OpenAI-shaped error response. */
export class HttpError extends Error {
  readonly status: number;
  readonly body: OpenAIErrorBody;

  constructor(status: number, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.body = errorBody(message, details);
  }
}

export function notFound(message: string): HttpError {
  return new HttpError(404, message);
}

/** The error a `status` fault answers with, typed and coded as OpenAI would. */
export function faultError(status: number): HttpError {
  const known = faultErrors[status];
  if (known) return new HttpError(status, known.message, known);
  const type = status >= 500 ? 'server_error' : 'invalid_request_error';
  return new HttpError(status, `Simulated fault: HTTP ${status}.`, { type });
}
