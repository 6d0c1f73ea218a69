import { RestError } from '@azure/core-rest-pipeline';
import { AuthenticationError, AuthenticationRequiredError } from '@azure/identity';
import { ProviderError, ProviderErrorCode } from '@hybridforms/core';
import { toProviderError } from './azure-error.mapper.js';

const SUB = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const SECRET = 'Zq8~s3cr3t-value.Of~the~principal';
const ctx = { operation: 'listing virtual machines', subscriptionId: SUB, secrets: [SECRET] };

function systemError(code: string, message = `connect ${code} 127.0.0.1:443`): Error {
  return Object.assign(new Error(message), { code });
}

describe('toProviderError', () => {
  it.each([
    [401, 'InvalidAuthenticationToken', ProviderErrorCode.InvalidCredentials, false],
    [403, 'AuthorizationFailed', ProviderErrorCode.Forbidden, false],
    [404, 'SubscriptionNotFound', ProviderErrorCode.NotFound, false],
    [404, 'ResourceNotFound', ProviderErrorCode.NotFound, false],
    [429, 'TooManyRequests', ProviderErrorCode.Throttled, true],
    [500, 'InternalServerError', ProviderErrorCode.Temporary, true],
    [503, 'ServiceUnavailable', ProviderErrorCode.Temporary, true],
    [504, 'GatewayTimeout', ProviderErrorCode.Timeout, true],
    [408, 'RequestTimeout', ProviderErrorCode.Timeout, true],
  ])('maps HTTP %d %s', (statusCode, code, expected, retryable) => {
    const error = toProviderError(new RestError('Pagination failed with unexpected statusCode ' + statusCode, { statusCode, code }), ctx);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.code).toBe(expected);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(`listing virtual machines in subscription ${SUB} failed`);
    expect(error.message).toContain(code);
  });

  it('names a missing subscription as such', () => {
    const error = toProviderError(new RestError("The subscription '…' could not be found.", { statusCode: 404, code: 'SubscriptionNotFound' }), ctx);
    expect(error.message).toMatch(/subscription was not found/);
  });

  it('maps JSON that does not parse, and a page without a value array, to MalformedResponse', () => {
    const parse = new RestError('Error "SyntaxError: Unexpected end of JSON input" occurred while parsing the response body - {"value":[{"id', { code: 'PARSE_ERROR', statusCode: 200 });
    expect(toProviderError(parse, ctx).code).toBe(ProviderErrorCode.MalformedResponse);
    const shape = new RestError("Couldn't paginate response\n Body doesn't contain an array property with name: value");
    expect(toProviderError(shape, ctx).code).toBe(ProviderErrorCode.MalformedResponse);
    expect(toProviderError(new TypeError("Cannot read properties of undefined (reading 'map')"), ctx).code).toBe(ProviderErrorCode.MalformedResponse);
    expect(toProviderError(new SyntaxError('Unexpected token < in JSON at position 0'), ctx).code).toBe(ProviderErrorCode.MalformedResponse);
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'])('maps the network error %s to Unreachable (retryable)', (code) => {
    const error = toProviderError(new RestError(`connect ${code}`, { code }), ctx);
    expect(error).toMatchObject({ code: ProviderErrorCode.Unreachable, retryable: true });
    expect(toProviderError(systemError(code), ctx).code).toBe(ProviderErrorCode.Unreachable);
  });

  it('maps an untrusted certificate to Unreachable and points at caCertificate', () => {
    const error = toProviderError(new RestError('self-signed certificate in certificate chain', { code: 'SELF_SIGNED_CERT_IN_CHAIN' }), ctx);
    expect(error).toMatchObject({ code: ProviderErrorCode.Unreachable, retryable: false });
    expect(error.message).toMatch(/caCertificate/);
  });

  it('maps timeouts and cancellation to Timeout', () => {
    expect(toProviderError(systemError('ETIMEDOUT'), ctx).code).toBe(ProviderErrorCode.Timeout);
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    expect(toProviderError(abort, ctx)).toMatchObject({ code: ProviderErrorCode.Timeout, retryable: true });
  });

  it('maps a wrong client secret to InvalidCredentials, naming AADSTS7000215 and never the secret', () => {
    const error = toProviderError(
      new AuthenticationError(401, {
        error: 'invalid_client',
        error_description: `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '00000000-0000-0000-0000-000000000001'. Secret: ${SECRET}`,
      }),
      { operation: 'getting a token', secrets: [SECRET] },
    );
    expect(error.code).toBe(ProviderErrorCode.InvalidCredentials);
    expect(error.message).toMatch(/AADSTS7000215/);
    expect(error.message).toMatch(/client secret is not valid/);
    expect(error.message).not.toContain(SECRET);
  });

  it('reads the AADSTS code from the message of an msal error wrapped by identity', () => {
    const wrapped = new AuthenticationRequiredError({ scopes: ['https://management.azure.com/.default'], message: 'invalid_client: Error(s): 7000222 - AADSTS7000222: The provided client secret keys are expired.' });
    expect(toProviderError(wrapped, ctx)).toMatchObject({ code: ProviderErrorCode.InvalidCredentials, message: expect.stringMatching(/expired/) });
  });

  it('tells an unreachable authority from bad credentials', () => {
    const unreachable = new AuthenticationRequiredError({ scopes: [], message: 'network_error: Network request failed: connect ECONNREFUSED 127.0.0.1:1' });
    expect(toProviderError(unreachable, ctx)).toMatchObject({ code: ProviderErrorCode.Unreachable, message: expect.stringMatching(/authority/) });
  });

  it('masks a secret an SDK message echoes', () => {
    const error = toProviderError(new RestError(`boom client_secret=${SECRET}`, { statusCode: 500 }), ctx);
    expect(error.message).not.toContain(SECRET);
  });

  it('returns a ProviderError unchanged', () => {
    const original = new ProviderError(ProviderErrorCode.NotFound, 'x');
    expect(toProviderError(original, ctx)).toBe(original);
  });

  it('keeps the text short when the SDK echoes a whole body', () => {
    const error = toProviderError(new RestError('x'.repeat(5000), { statusCode: 500 }), ctx);
    expect(error.message.length).toBeLessThan(500);
  });
});
