import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('masks every occurrence of every secret found in nested values', () => {
    const text = 'POST client_secret=s3cr3t-value failed; echo s3cr3t-value; key=other-key-123';
    expect(redactSecrets(text, [{ clientSecret: 's3cr3t-value', nested: { key: 'other-key-123' } }])).toBe(
      'POST client_secret=*** failed; echo ***; key=***',
    );
  });

  it('leaves very short values alone (masking "a" would mangle every message)', () => {
    expect(redactSecrets('a bad answer', ['a'])).toBe('a bad answer');
  });
});
