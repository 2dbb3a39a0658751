/**
 * Errors from the API are RFC 9457 problem+json documents. ApiError carries
 * one through the app, and the helpers here turn it into what a person reads:
 * a sentence near the action, and messages on the form fields it names.
 */

/** One entry of a problem's `errors` list (Huma's ErrorDetail). */
export interface ProblemFieldError {
  message?: string;
  location?: string;
  value?: unknown;
}

/** The problem+json body, as far as the SPA reads it. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: ProblemFieldError[] | null;
  /** Switchboard adds the request id to every problem. */
  request_id?: string;
}

/** An error answered by the API (or the network failing to reach it). */
export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: ProblemFieldError[];
  readonly requestId: string | null;
  /** Seconds from Retry-After, when the API sent one (429, 503). */
  readonly retryAfter: number | null;

  constructor(init: {
    status: number;
    title?: string;
    detail?: string;
    errors?: ProblemFieldError[] | null;
    requestId?: string | null;
    retryAfter?: number | null;
  }) {
    const title = init.title || defaultTitle(init.status);
    super(init.detail || title);
    this.name = 'ApiError';
    this.status = init.status;
    this.title = title;
    this.detail = init.detail ?? '';
    this.errors = init.errors ?? [];
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** Builds an ApiError from a failed response and its parsed body. */
  static fromResponse(response: Response, body: unknown): ApiError {
    const problem = asProblem(body);
    return new ApiError({
      status: response.status,
      title: problem?.title,
      detail: problem?.detail ?? (typeof body === 'string' ? body.slice(0, 300) : undefined),
      errors: problem?.errors,
      requestId: response.headers.get('X-Request-ID') ?? problem?.request_id ?? null,
      retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
    });
  }

  /** The error used when fetch itself failed (offline, server down). */
  static network(cause?: unknown): ApiError {
    const err = new ApiError({
      status: 0,
      title: 'Network error',
      detail: "Can't reach Switchboard. Check your connection and try again.",
    });
    if (cause !== undefined) (err as { cause?: unknown }).cause = cause;
    return err;
  }
}

function asProblem(body: unknown): Problem | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  return body as Problem;
}

function defaultTitle(status: number): string {
  if (status === 0) return 'Network error';
  if (status === 401) return 'Unauthorized';
  if (status === 403) return 'Forbidden';
  if (status === 404) return 'Not found';
  if (status === 409) return 'Conflict';
  if (status === 422) return 'Unprocessable entity';
  if (status === 429) return 'Too many requests';
  if (status >= 500) return 'Server error';
  return 'Request failed';
}

/** Parses Retry-After given as seconds or as an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * Maps a problem `location` to a form field path: `body.email` → `email`,
 * `body.scopes[1]` → `scopes.1`, `body.owner.name` → `owner.name`.
 * Locations outside the body (path, query, header) name no form field: null.
 */
export function locationToField(location: string | undefined): string | null {
  if (!location) return null;
  const match = /^body(?:\.|\[|$)(.*)$/.exec(location);
  if (!match) return null;
  const rest = location.slice('body'.length).replace(/^\./, '');
  if (rest === '') return null;
  return rest.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
}

/** Makes a validator's message read as a sentence. */
export function humanizeMessage(message: string): string {
  const m = message.trim();
  if (!m) return m;
  // Validators describe the value ("is not your current password"): give the sentence a subject.
  if (/^is /.test(m)) return `This ${m}`;
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/** The result of spreading an error over a form. */
export interface MappedErrors {
  /** Messages keyed by form field path, for form.setErrors. */
  fieldErrors: Record<string, string>;
  /**
   * What to show near the submit button: the problem's detail when no field
   * took a message, plus any message whose location matched no field. Null
   * when every message landed on a field.
   */
  formError: string | null;
}

/**
 * Spreads an error over a form. Field messages go to the fields named in
 * `fields` (a message for `scopes.2` lands on `scopes` when only that is
 * known); everything else becomes the form-level message.
 */
export function mapErrorToForm(error: unknown, fields: readonly string[]): MappedErrors {
  const known = new Set(fields);
  const fieldErrors: Record<string, string> = {};
  const leftovers: string[] = [];
  if (!(error instanceof ApiError)) {
    return { fieldErrors, formError: describeError(error).message };
  }
  for (const item of error.errors) {
    const message = humanizeMessage(item.message ?? 'Invalid value');
    const field = resolveField(locationToField(item.location), known);
    if (field) {
      fieldErrors[field] = fieldErrors[field] ? `${fieldErrors[field]}. ${message}` : message;
    } else {
      leftovers.push(message);
    }
  }
  const mappedAny = Object.keys(fieldErrors).length > 0;
  let formError: string | null = null;
  if (leftovers.length > 0) {
    formError = leftovers.join('. ');
  } else if (!mappedAny) {
    formError = describeError(error).message;
  }
  return { fieldErrors, formError };
}

function resolveField(path: string | null, known: Set<string>): string | null {
  if (!path) return null;
  let candidate = path;
  for (;;) {
    if (known.has(candidate)) return candidate;
    const cut = candidate.lastIndexOf('.');
    if (cut < 0) return null;
    candidate = candidate.slice(0, cut);
  }
}

/** A readable title and sentence for any error the app can meet. */
export function describeError(error: unknown): { title: string; message: string; requestId: string | null } {
  if (error instanceof ApiError) {
    if (error.status === 0) {
      return { title: error.title, message: error.detail, requestId: null };
    }
    if (error.status === 429) {
      const wait = error.retryAfter;
      const message =
        wait && wait > 0
          ? `Too many attempts. Try again in ${formatWait(wait)}.`
          : error.detail || 'Too many attempts. Wait a moment and try again.';
      return { title: 'Slow down', message, requestId: error.requestId };
    }
    if (error.status >= 500) {
      return {
        title: 'Something went wrong on our side',
        message: error.detail && !/internal server error/i.test(error.detail)
          ? error.detail
          : 'The server could not complete the request. Try again in a moment.',
        requestId: error.requestId,
      };
    }
    if (error.status === 403 && !error.detail) {
      return { title: error.title, message: "You don't have permission to do that.", requestId: error.requestId };
    }
    const message = error.detail ? humanizeMessage(error.detail) : error.title;
    return { title: error.title, message, requestId: error.requestId };
  }
  if (error instanceof Error && error.message) {
    return { title: 'Error', message: error.message, requestId: null };
  }
  return { title: 'Error', message: 'Something went wrong.', requestId: null };
}

function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}
