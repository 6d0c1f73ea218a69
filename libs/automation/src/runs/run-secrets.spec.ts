import { SecretBox, isSealedValue, maskSensitiveFields } from '@hybridforms/core';
import { hasSealedMarker, runSecretsOf, sealSensitiveVars, unsealSensitiveVars } from './run-secrets.js';

describe('run secrets', () => {
  const box = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
  const vars = { db_password: 'pw-very-secret', app: { name: 'web', api_token: 't-0123456789', port: 8080 }, vault: { credentials: ['c-abcdef', 42] }, key: true };

  it('seals every string or number under a sensitive name and nothing else', () => {
    const sealed = sealSensitiveVars(vars, box);
    expect(JSON.stringify(sealed)).not.toMatch(/pw-very-secret|t-0123456789|c-abcdef/);
    expect(isSealedValue(sealed.db_password)).toBe(true);
    expect(isSealedValue(sealed.app.api_token)).toBe(true);
    expect(sealed.app).toMatchObject({ name: 'web', port: 8080 });
    expect(isSealedValue(sealed.vault.credentials[1])).toBe(true);
    expect(sealed.key).toBe(true);
    expect(unsealSensitiveVars(sealed, box)).toEqual(vars);
  });

  it('is shown by the API as *** where sealed', () => {
    expect(maskSensitiveFields(sealSensitiveVars(vars, box))).toEqual({ db_password: '***', app: { name: 'web', api_token: '***', port: 8080 }, vault: { credentials: ['***', '***'] }, key: true });
  });

  it('cannot be opened with another key', () => {
    const other = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
    expect(() => unsealSensitiveVars(sealSensitiveVars(vars, box), other)).toThrow(/not the configured key/);
  });

  it('finds the marker anywhere in a caller value', () => {
    expect(hasSealedMarker({ a: [{ b: { $sealed: 'x' } }] })).toBe(true);
    expect(hasSealedMarker({ a: ['$sealed'] })).toBe(false);
  });

  it('lists the known secrets of a run', () => {
    expect(runSecretsOf(vars, { privateKey: 'KEY' })).toEqual([{ privateKey: 'KEY' }, 'pw-very-secret', 't-0123456789', 'c-abcdef', '42']);
  });
});
