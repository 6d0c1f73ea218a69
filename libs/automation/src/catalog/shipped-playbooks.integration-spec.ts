import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PlaybookCatalog } from './playbook.catalog.js';

// The playbooks shipped in config/playbooks must stay valid: a broken one fails the build.
const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const SHIPPED = join(process.cwd(), 'config/playbooks');
const run = promisify(execFile);

describe('shipped playbooks (config/playbooks)', () => {
  const catalog = new PlaybookCatalog([SHIPPED]);

  it('are all in the catalog, each with a named first play', async () => {
    const entries = await catalog.list();
    expect(entries.map((e) => e.id).sort()).toEqual(
      expect.arrayContaining([
        'playbooks/rhel/gather-facts.yml',
        'playbooks/rhel/register-rhsm.yml',
        'playbooks/rhel/restart-service.yml',
        'playbooks/rhel/security-updates.yml',
      ]),
    );
    for (const entry of entries) expect(entry.description).toEqual(expect.any(String));
  });

  it('use ansible.builtin modules only (all that ansible-core guarantees)', async () => {
    for (const entry of await catalog.list()) {
      const text = await readFile(join(entry.directory, entry.path), 'utf8');
      const qualified = [...text.matchAll(/^\s+(?:- )?([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+):/gm)].map((m) => m[1]);
      expect({ playbook: entry.id, others: qualified.filter((name) => !name.startsWith('ansible.builtin.')) }).toEqual({ playbook: entry.id, others: [] });
    }
  });

  it('pass ansible-playbook --syntax-check', async () => {
    const entries = await catalog.list();
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const result = await run(ANSIBLE_PLAYBOOK, ['--syntax-check', '-i', 'localhost,', entry.path], {
        cwd: entry.directory,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' },
        timeout: 60_000,
      }).catch((error: { code?: unknown; stdout?: string; stderr?: string; message: string }) => ({
        failed: `${entry.id}: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      }));
      expect('failed' in result ? result.failed : 'ok').toBe('ok');
    }
  });
});
