import { describe, expect, it } from 'vitest';
import { clientErrorFromBody } from './datasource.js';

const body = (errors: unknown[]) => JSON.stringify({ errors });

describe('clientErrorFromBody', () => {
  it('passes a coded client error from a 4xx answer through, with the target from the coercion message', () => {
    const err = clientErrorFromBody('events', 400, body([{ message: 'Variable "$input" got invalid value "yesterday" at "input.startsAt"; DateTime must be ISO-8601', extensions: { code: 'BAD_USER_INPUT', stacktrace: ['at x'] } }]));
    expect(err?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', target: 'input.startsAt', serviceName: 'events' });
    expect(err?.extensions).not.toHaveProperty('stacktrace');
  });

  it('takes the variable name as the target when there is no field path, and keeps a given target', () => {
    expect(clientErrorFromBody('people', 400, body([{ message: 'Variable "$id" of required type "ID!" was not provided.', extensions: { code: 'BAD_USER_INPUT' } }]))?.extensions.target).toBe('id');
    expect(clientErrorFromBody('people', 400, body([{ message: 'bad', extensions: { code: 'BAD_USER_INPUT', target: 'input.email' } }]))?.extensions.target).toBe('input.email');
  });

  it('leaves 5xx answers, unreadable bodies, uncoded and non-client codes to be masked', () => {
    expect(clientErrorFromBody('events', 500, body([{ message: 'x', extensions: { code: 'BAD_USER_INPUT' } }]))).toBeUndefined();
    expect(clientErrorFromBody('events', 400, '<html>bad gateway</html>')).toBeUndefined();
    expect(clientErrorFromBody('events', 400, body([{ message: 'x' }]))).toBeUndefined();
    expect(clientErrorFromBody('events', 401, body([{ message: 'The caller principal is not valid', extensions: { code: 'UNAUTHENTICATED' } }]))).toBeUndefined();
    expect(clientErrorFromBody('events', 400, body([{ message: 'x', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]))).toBeUndefined();
  });
});
