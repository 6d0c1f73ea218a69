import { isSensitiveName, maskSensitiveFields, redactingLogger, redactSecrets, SecretMasker, sensitiveValuesOf } from './redact.js';

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

describe('isSensitiveName', () => {
  it.each(['password', 'db_password', 'DB_PASSWD', 'clientSecret', 'api_token', 'credentials', 'passphrase', 'private_key', 'privateKey', 'key', 'api_key', 'apiKey', 'ssh-key', 'key_data'])(
    '%s is sensitive',
    (name) => expect(isSensitiveName(name)).toBe(true),
  );

  it.each(['ansible_ssh_host_key_rsa_public', 'ssh_host_key_ed25519_public_keytype', 'pub_key', 'host_key_fingerprint', 'keys', 'keyboard', 'monkey', 'hostname', 'changed', 'PWD'])(
    '%s is not sensitive',
    (name) => expect(isSensitiveName(name)).toBe(false),
  );
});

describe('maskSensitiveFields', () => {
  it('masks string values under sensitive names at any depth, and keeps numbers, booleans and other keys', () => {
    const payload = {
      res: { invocation: { module_args: { name: 'app', password: 'pw-123456', update_password: 'always' } }, changed: true },
      ansible_facts: { ansible_ssh_host_key_rsa_public: 'AAAAB3Nza', db: { token: 't-abcdef' } },
      key: true,
      token_count: 3,
      tokens: ['one-token', 'two-token'],
      credentials: { user: 'bob', nested: [{ x: 'y' }] },
      msg: 'fine',
    };
    expect(maskSensitiveFields(payload)).toEqual({
      res: { invocation: { module_args: { name: 'app', password: '***', update_password: '***' } }, changed: true },
      ansible_facts: { ansible_ssh_host_key_rsa_public: 'AAAAB3Nza', db: { token: '***' } },
      key: true,
      token_count: 3,
      tokens: ['***', '***'],
      credentials: { user: '***', nested: [{ x: '***' }] },
      msg: 'fine',
    });
    expect(payload.res.invocation.module_args.password).toBe('pw-123456');
  });

  it('shows a sealed value as *** whatever its name', () => {
    expect(maskSensitiveFields({ db_password: { $sealed: 'v1:abcdef01:a:b:c' }, other: { $sealed: 'v1:abcdef01:a:b:c' } })).toEqual({ db_password: '***', other: '***' });
  });
});

describe('sensitiveValuesOf', () => {
  it('collects strings and numbers under sensitive names, nested and in arrays', () => {
    expect(sensitiveValuesOf({ db_password: 'p1', app: { api_token: 't1', port: 80, pins: { secret: 1234 } }, keys: ['x'], vault: { credentials: ['c1', { user: 'u1' }] } })).toEqual([
      'p1',
      't1',
      '1234',
      'c1',
      'u1',
    ]);
  });
});

describe('SecretMasker', () => {
  const privateKey = [
    '-----BEGIN OPENSSH PRIVATE KEY-----',
    'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
    'QyNTUxOQAAACDxU7yqQ2lI4Sg8Wn9c1n8Y2YQ6wR4pXo4b0d3vT7oXhQAAAJgg9uRmIPbk',
    'short',
    '-----END OPENSSH PRIVATE KEY-----',
    '',
  ].join('\n');
  const masker = new SecretMasker([{ privateKey }, 'Sup3r"Secret']);

  it('masks a whole key, and each of its lines of 16 or more characters on their own', () => {
    expect(masker.text(`key:\n${privateKey}`)).toBe('key:\n***');
    expect(masker.text('fragment QyNTUxOQAAACDxU7yqQ2lI4Sg8Wn9c1n8Y2YQ6wR4pXo4b0d3vT7oXhQAAAJgg9uRmIPbk end')).toBe('fragment *** end');
    expect(masker.text('short stays')).toBe('short stays');
  });

  it('masks a secret in its JSON-escaped form too', () => {
    expect(masker.text('{"msg": "Sup3r\\"Secret"}')).toBe('{"msg": "***"}');
    expect(masker.text('echo Sup3r"Secret')).toBe('echo ***');
  });

  it('masks known secrets inside every string of a JSON value, and sensitive names whatever their value', () => {
    expect(masker.json({ stdout_lines: ['x Sup3r"Secret y'], res: { cmd: 'echo Sup3r"Secret', api_key: 'other-value' } })).toEqual({
      stdout_lines: ['x *** y'],
      res: { cmd: 'echo ***', api_key: '***' },
    });
  });

  it('passes null and undefined through', () => {
    expect(masker.text(null)).toBeNull();
    expect(masker.text(undefined)).toBeUndefined();
  });
});
