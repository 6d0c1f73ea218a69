import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = SecretBox.fromEncoded(SecretBox.generateEncodedKey());

  it('round-trips a value and never leaves it readable in the sealed form', () => {
    const sealed = box.seal({ clientSecret: 'very-secret-value' });
    expect(sealed).not.toContain('very-secret-value');
    expect(box.open(sealed)).toEqual({ clientSecret: 'very-secret-value' });
  });

  it('uses a fresh IV each time', () => {
    expect(box.seal('x')).not.toEqual(box.seal('x'));
  });

  it('refuses a value sealed with another key, naming both key ids', () => {
    const other = SecretBox.fromEncoded(SecretBox.generateEncodedKey());
    expect(() => other.open(box.seal('x'))).toThrow(/made with key .* not the configured key/);
  });

  it('detects tampering', () => {
    const parts = box.seal({ a: 1 }).split(':');
    const body = Buffer.from(parts[4], 'base64');
    body[0] ^= 1;
    parts[4] = body.toString('base64');
    expect(() => box.open(parts.join(':'))).toThrow();
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => SecretBox.fromEncoded('c2hvcnQ=')).toThrow(/32 bytes/);
  });
});
