import createClient from 'openapi-fetch';
import { session } from '@/auth/session';
import { ApiError } from './problem';
import type { paths } from './schema';

/** The typed API client; every call goes through the session's fetch. */
export const api = createClient<paths>({
  baseUrl: typeof window !== 'undefined' ? window.location.origin : 'http://localhost',
  fetch: (request) => session.fetch(request),
  credentials: 'same-origin',
});

interface FetchResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an ApiError
 * built from the problem+json answer (or a network error).
 */
export async function unwrap<D>(call: Promise<FetchResult<D>>): Promise<D> {
  let result: FetchResult<D>;
  try {
    result = await call;
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (!result.response.ok || result.error !== undefined) {
    throw ApiError.fromResponse(result.response, result.error);
  }
  return result.data as D;
}

