import { redactingLogger, redactSecrets } from './redact.js';

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

describe('redactingLogger', () => {
  it('masks the secrets in every level before the target logger sees them', () => {
    const seen: string[] = [];
    const target = { debug: (m: string) => seen.push(m), log: (m: string) => seen.push(m), warn: (m: string) => seen.push(m), error: (m: string) => seen.push(m) };
    const logger = redactingLogger(target, [{ clientSecret: 'hunter2-secret' }]);
    logger.debug('d hunter2-secret');
    logger.log('l hunter2-secret');
    logger.warn('w hunter2-secret');
    logger.error('e hunter2-secret');
    expect(seen).toEqual(['d ***', 'l ***', 'w ***', 'e ***']);
  });
});
