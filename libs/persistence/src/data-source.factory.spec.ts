import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDataSourceOptions, SQLITE_FILE_NAME } from './data-source.factory.js';
import { ENTITIES } from './entities/index.js';
import { MIGRATIONS } from './migrations/index.js';
import { SnakeNamingStrategy } from './snake-naming.strategy.js';

describe('createDataSourceOptions', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'hf-ds-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('uses one SQLite file in the data dir, created if missing, in WAL mode, when no URL is given', () => {
    const dataDir = join(root, 'nested', 'data');
    for (const databaseUrl of [undefined, null, '', '  ']) {
      const options = createDataSourceOptions({ databaseUrl, dataDir });
      expect(options).toMatchObject({ type: 'better-sqlite3', database: join(dataDir, SQLITE_FILE_NAME), enableWAL: true, synchronize: false });
    }
    expect(existsSync(dataDir)).toBe(true);
  });

  it('uses PostgreSQL for a postgres:// or postgresql:// URL', () => {
    for (const url of ['postgres://hf:secret@db:5432/hybridforms', 'postgresql://hf@db/hybridforms']) {
      expect(createDataSourceOptions({ databaseUrl: url, dataDir: root })).toMatchObject({ type: 'postgres', url, synchronize: false });
    }
  });

  it('puts PostgreSQL tables and raw SQL in the schema an override names', () => {
    const options = createDataSourceOptions({ databaseUrl: 'postgres://db/test', dataDir: root }, { schema: 'hf_abc123' });
    expect(options).toMatchObject({ schema: 'hf_abc123', extra: { options: '-c search_path=hf_abc123' } });
    expect(() => createDataSourceOptions({ databaseUrl: 'postgres://db/test', dataDir: root }, { schema: 'x; DROP' })).toThrow(/schema/);
  });

  it('refuses any other scheme with a clear error', () => {
    expect(() => createDataSourceOptions({ databaseUrl: 'mysql://db/x', dataDir: root })).toThrow(/unsupported scheme "mysql".*postgres:\/\//);
    expect(() => createDataSourceOptions({ databaseUrl: 'sqlite:///tmp/x.db', dataDir: root })).toThrow(/unsupported scheme "sqlite"/);
    expect(() => createDataSourceOptions({ databaseUrl: 'not a url', dataDir: root })).toThrow(/unsupported scheme/);
  });

  it('lists every entity and migration explicitly, with snake_case names and no synchronize', () => {
    const options = createDataSourceOptions({ dataDir: root });
    expect(options.entities).toEqual(ENTITIES);
    expect(options.migrations).toEqual(MIGRATIONS);
    expect(options.namingStrategy).toBeInstanceOf(SnakeNamingStrategy);
    expect(options.logging).toBe(false);
    expect(createDataSourceOptions({ dataDir: root, logging: true }).logging).toBe('all');
  });
});
