import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, ProtocolError } from './api-client.js';
import { toUiError, UserError } from './errors.js';

describe('toUiError', () => {
  it('passes the words of a UserError through', () => {
    expect(toUiError(new UserError('username_taken', 'That username is taken.'))).toEqual({
      code: 'username_taken',
      message: 'That username is taken.',
    });
  });

  it('says in plain words when the server cannot be reached or is not a push server', () => {
    expect(toUiError(new NetworkError('The push server cannot be reached.'))).toMatchObject({
      code: 'offline',
      message:
        'The push server cannot be reached. Check the server address and your connection, then try again.',
    });
    expect(toUiError(new ProtocolError('x')).code).toBe('not_a_push_server');
  });

  it('maps server statuses to what the user can do about them', () => {
    expect(toUiError(new ApiError(429, 'rate_limited', 'slow down')).message).toMatch(
      /wait a minute/,
    );
    expect(toUiError(new ApiError(503, 'unavailable', 'broker down')).code).toBe('server_error');
    expect(toUiError(new ApiError(400, 'invalid_body', 'password too short')).message).toContain(
      'password too short',
    );
  });

  it('says which of the server’s limits was hit, and what to do about it', () => {
    expect(
      toUiError(new ApiError(409, 'too_many_clients', 'this account has 20 devices')),
    ).toMatchObject({
      code: 'too_many_clients',
      message: expect.stringMatching(/Remove a device/),
    });
    expect(
      toUiError(new ApiError(409, 'too_many_subscriptions', 'this account has 500 subscriptions')),
    ).toMatchObject({
      code: 'too_many_subscriptions',
      message: expect.stringMatching(/sites you no longer need/),
    });
    expect(toUiError(new ApiError(429, 'too_many_signups', 'at most 5 per hour'))).toMatchObject({
      code: 'too_many_signups',
      message: expect.stringMatching(/in an hour/),
    });
  });

  it('hides internal errors behind a generic message', () => {
    const error = toUiError(new TypeError('cannot read properties of undefined'));
    expect(error.code).toBe('internal');
    expect(error.message).not.toContain('undefined');
  });
});
