import { describe, expect, it } from 'vitest';
import { ApiError, describeError, locationToField, mapErrorToForm, parseRetryAfter } from './problem';

const problemResponse = (status: number, headers: Record<string, string> = {}) =>
  new Response(null, { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

describe('locationToField', () => {
  it.each([
    ['body.email', 'email'],
    ['body.org_name', 'org_name'],
    ['body.scopes[1]', 'scopes.1'],
    ['body.owner.name', 'owner.name'],
    ['body.items[0].name', 'items.0.name'],
    ['body', null],
    ['path.id', null],
    ['query.limit', null],
    ['header.Authorization', null],
    [undefined, null],
    ['', null],
  ])('%s → %s', (location, field) => {
    expect(locationToField(location)).toBe(field);
  });
});

describe('ApiError.fromResponse', () => {
  it('reads the problem, the request id and Retry-After', () => {
    const err = ApiError.fromResponse(problemResponse(429, { 'X-Request-ID': 'req-1', 'Retry-After': '30' }), {
      title: 'Too Many Requests',
      status: 429,
      detail: 'too many login attempts',
    });
    expect(err.status).toBe(429);
    expect(err.title).toBe('Too Many Requests');
    expect(err.requestId).toBe('req-1');
    expect(err.retryAfter).toBe(30);
  });

  it('copes with a body that is not a problem', () => {
    const err = ApiError.fromResponse(problemResponse(502), 'Bad Gateway');
    expect(err.status).toBe(502);
    expect(err.detail).toBe('Bad Gateway');
    expect(err.errors).toEqual([]);
  });
});

describe('mapErrorToForm', () => {
  const validation = new ApiError({
    status: 422,
    title: 'Unprocessable Entity',
    detail: 'validation failed',
    errors: [
      { message: 'expected length >= 10', location: 'body.password', value: 'short' },
      { message: 'expected string to match pattern', location: 'body.email', value: 'x' },
      { message: 'unknown scope', location: 'body.scopes[2]', value: 'nope' },
    ],
  });

  it('puts field errors on the fields they name (body.email → email)', () => {
    const out = mapErrorToForm(validation, ['email', 'password', 'scopes']);
    expect(out.fieldErrors).toEqual({
      password: 'Expected length >= 10',
      email: 'Expected string to match pattern',
      scopes: 'Unknown scope',
    });
    expect(out.formError).toBeNull();
  });

  it('shows messages for fields the form lacks near the action', () => {
    const out = mapErrorToForm(validation, ['email']);
    expect(out.fieldErrors).toEqual({ email: 'Expected string to match pattern' });
    expect(out.formError).toBe('Expected length >= 10. Unknown scope');
  });

  it('joins two messages for one field', () => {
    const err = new ApiError({
      status: 422,
      errors: [
        { message: 'too short', location: 'body.name' },
        { message: 'must not be blank', location: 'body.name' },
      ],
    });
    expect(mapErrorToForm(err, ['name']).fieldErrors).toEqual({ name: 'Too short. Must not be blank' });
  });

  it('uses the detail when there are no field errors', () => {
    const err = new ApiError({ status: 409, title: 'Conflict', detail: 'an invitation for this email is already pending' });
    expect(mapErrorToForm(err, ['email'])).toEqual({
      fieldErrors: {},
      formError: 'An invitation for this email is already pending',
    });
  });

  it('describes errors that are not ApiErrors', () => {
    expect(mapErrorToForm(new Error('boom'), ['x'])).toEqual({ fieldErrors: {}, formError: 'boom' });
  });
});

describe('describeError', () => {
  it('turns a 429 with Retry-After into a wait', () => {
    expect(describeError(new ApiError({ status: 429, retryAfter: 1 })).message).toBe('Too many attempts. Try again in 1 second.');
    expect(describeError(new ApiError({ status: 429, retryAfter: 90 })).message).toBe('Too many attempts. Try again in 2 minutes.');
  });

  it('hides server internals but keeps the request id', () => {
    const d = describeError(new ApiError({ status: 500, title: 'Internal Server Error', detail: 'Internal Server Error', requestId: 'r-9' }));
    expect(d.title).toBe('Something went wrong on our side');
    expect(d.message).not.toMatch(/internal server error/i);
    expect(d.requestId).toBe('r-9');
  });

  it('explains network failures', () => {
    expect(describeError(ApiError.network(new TypeError('Failed to fetch'))).message).toMatch(/can't reach switchboard/i);
  });

  it('shows the detail of a 403, or a sentence when there is none', () => {
    expect(describeError(new ApiError({ status: 403, detail: 'requires role admin' })).message).toBe('Requires role admin');
    expect(describeError(new ApiError({ status: 403 })).message).toBe("You don't have permission to do that.");
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('12')).toBe(12);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
  });
});
