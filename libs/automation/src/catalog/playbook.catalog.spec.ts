import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { BadInputError, NotFoundError } from '@hybridforms/core';
import { PlaybookCatalog } from './playbook.catalog.js';

const play = (name: string) => `---\n- name: ${name}\n  hosts: all\n  tasks: []\n`;

describe('PlaybookCatalog', () => {
  let base: string;
  let dir: string;
  let outside: string;

  async function put(path: string, content: string): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }

  beforeEach(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'hf-catalog-')));
    dir = join(base, 'playbooks');
    outside = join(base, 'outside');
    await put(join(dir, 'site.yml'), play('Site'));
    await put(join(dir, 'rhel', 'patch.yaml'), play('"Patch RHEL"'));
    await put(join(dir, 'rhel', 'deep', 'er', 'check.yml'), play('Deep check'));
    await put(join(dir, 'rhel', 'tasks', 'install.yml'), '- name: Install\n  ansible.builtin.dnf:\n    name: httpd\n');
    await put(join(dir, 'group_vars', 'all.yml'), 'ntp_server: pool.ntp.org\n');
    await put(join(dir, 'README.md'), '# not yaml\n');
    await put(join(dir, '.hidden', 'secret.yml'), play('Hidden'));
    await put(join(dir, '.dotfile.yml'), play('Dot'));
    await put(join(outside, 'evil.yml'), play('Evil'));
    await put(join(outside, 'sub', 'evil2.yml'), play('Evil 2'));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists nested playbooks with ids, paths and first play names, skipping hidden files and non-playbooks', async () => {
    const catalog = new PlaybookCatalog([dir]);
    expect(await catalog.list()).toEqual([
      { id: 'playbooks/rhel/deep/er/check.yml', name: 'check', directory: dir, path: 'rhel/deep/er/check.yml', description: 'Deep check' },
      { id: 'playbooks/rhel/patch.yaml', name: 'patch', directory: dir, path: 'rhel/patch.yaml', description: 'Patch RHEL' },
      { id: 'playbooks/site.yml', name: 'site', directory: dir, path: 'site.yml', description: 'Site' },
    ]);
  });

  it('resolves directories relative to the cwd, labels them by base name, and keeps labels unique', async () => {
    await put(join(base, 'more', 'playbooks', 'x.yml'), play('X'));
    const catalog = new PlaybookCatalog([relative(base, dir), join(base, 'more', 'playbooks'), { path: outside, label: 'ext' }], { cwd: base });
    expect(catalog.directories().map((d) => d.label)).toEqual(['playbooks', 'playbooks-2', 'ext']);
    const ids = (await catalog.list()).map((e) => e.id);
    expect(ids).toEqual(expect.arrayContaining(['playbooks/site.yml', 'playbooks-2/x.yml', 'ext/evil.yml', 'ext/sub/evil2.yml']));
    expect(() => new PlaybookCatalog([{ path: dir, label: 'Bad Label' }])).toThrow(/label/);
  });

  it('re-reads the directories on every call', async () => {
    const catalog = new PlaybookCatalog([dir]);
    expect(await catalog.list()).toHaveLength(3);
    await put(join(dir, 'new.yml'), play('New'));
    expect((await catalog.list()).map((e) => e.path)).toContain('new.yml');
  });

  it('reports a missing directory instead of failing', async () => {
    const catalog = new PlaybookCatalog([join(base, 'nope'), dir]);
    const scan = await catalog.scan();
    expect(scan.entries).toHaveLength(3);
    expect(scan.ignored).toEqual([{ directory: join(base, 'nope'), path: '', reason: 'the directory does not exist' }]);
  });

  it('resolves a catalog id to its directory, relative path and absolute path', async () => {
    const catalog = new PlaybookCatalog([dir]);
    expect(await catalog.resolve('playbooks/rhel/patch.yaml')).toEqual({
      id: 'playbooks/rhel/patch.yaml',
      directory: dir,
      path: 'rhel/patch.yaml',
      absolutePath: join(dir, 'rhel', 'patch.yaml'),
    });
  });

  it.each([
    ['playbooks/../outside/evil.yml', /'\.\.'/],
    ['../outside/evil.yml', /'\.\.'/],
    ['playbooks/rhel/../site.yml', /'\.\.'/],
    ['/etc/passwd', /absolute path/],
    ['C:/Windows/x.yml', /absolute path/],
    ['playbooks/site.yml\0.txt', /NUL/],
    ['playbooks\\site.yml', /backslash/],
    ['playbooks//site.yml', /empty or '\.'/],
    ['playbooks/./site.yml', /empty or '\.'/],
    ['playbooks/site.yml ', /only contain/],
    ['playbooks/%2e%2e/outside/evil.yml', /only contain/],
    ['', /non-empty/],
  ])('refuses the ref %j as bad input', async (ref, message) => {
    const catalog = new PlaybookCatalog([dir]);
    const error = await catalog.resolve(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a non-string ref as bad input', async () => {
    await expect(new PlaybookCatalog([dir]).resolve({ id: 'x' })).rejects.toBeInstanceOf(BadInputError);
  });

  it.each([
    ['an unknown directory label', 'other/site.yml'],
    ['a missing file', 'playbooks/missing.yml'],
    ['a non-playbook YAML file', 'playbooks/rhel/tasks/install.yml'],
    ['a vars file', 'playbooks/group_vars/all.yml'],
    ['a file that is not YAML', 'playbooks/README.md'],
    ['a hidden file', 'playbooks/.dotfile.yml'],
    ['a file in a hidden directory', 'playbooks/.hidden/secret.yml'],
    ['a directory', 'playbooks/rhel'],
    ['a label alone', 'playbooks'],
  ])('answers not found for %s', async (_label, ref) => {
    await expect(new PlaybookCatalog([dir]).resolve(ref)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a symlinked file that escapes its directory, and leaves it out of the list', async () => {
    await symlink(join(outside, 'evil.yml'), join(dir, 'evil.yml'));
    await symlink('/etc/passwd', join(dir, 'passwd'));
    const catalog = new PlaybookCatalog([dir]);
    await expect(catalog.resolve('playbooks/evil.yml')).rejects.toThrow(BadInputError);
    await expect(catalog.resolve('playbooks/passwd')).rejects.toThrow(/leads out of its directory/);
    const scan = await catalog.scan();
    expect(scan.entries.map((e) => e.path)).not.toContain('evil.yml');
    expect(scan.ignored).toContainEqual({ directory: dir, path: 'evil.yml', reason: 'symbolic link that leads out of the directory' });
  });

  it('refuses a symlinked directory that escapes, and a path that leaves and comes back in', async () => {
    await symlink(outside, join(dir, 'linked'));
    await symlink(join(dir, 'site.yml'), join(outside, 'back.yml'));
    const catalog = new PlaybookCatalog([dir]);
    await expect(catalog.resolve('playbooks/linked/sub/evil2.yml')).rejects.toThrow(BadInputError);
    await expect(catalog.resolve('playbooks/linked/back.yml')).rejects.toThrow(BadInputError);
    const ids = (await catalog.list()).map((e) => e.id);
    expect(ids.some((id) => id.includes('linked'))).toBe(false);
  });

  it('allows symlinks that stay inside, to files and to directories, and survives link loops', async () => {
    await symlink(join(dir, 'site.yml'), join(dir, 'alias.yml'));
    await symlink('rhel', join(dir, 'rhel-current'));
    await symlink('..', join(dir, 'rhel', 'up'));
    const catalog = new PlaybookCatalog([dir]);
    expect(await catalog.resolve('playbooks/alias.yml')).toMatchObject({ path: 'alias.yml', absolutePath: join(dir, 'alias.yml') });
    expect(await catalog.resolve('playbooks/rhel-current/patch.yaml')).toMatchObject({ path: 'rhel-current/patch.yaml' });
    const entries = await catalog.list();
    expect(entries.find((e) => e.path === 'alias.yml')?.description).toBe('Site');
    expect(entries.map((e) => e.path)).toEqual(expect.arrayContaining(['rhel/patch.yaml', 'rhel-current/patch.yaml']));
    expect(entries.length).toBeLessThan(20);
  });

  it('accepts a configured directory that is itself a symlink', async () => {
    const link = join(base, 'link-to-playbooks');
    await symlink(dir, link);
    const catalog = new PlaybookCatalog([link]);
    expect((await catalog.list()).map((e) => e.id)).toContain('link-to-playbooks/site.yml');
    expect((await catalog.resolve('link-to-playbooks/site.yml')).directory).toBe(dir);
  });

  it('leaves out files whose path is not URL-safe, saying why', async () => {
    await put(join(dir, 'with space.yml'), play('Space'));
    await put(join(dir, 'ünïcode.yml'), play('Unicode'));
    const scan = await new PlaybookCatalog([dir]).scan();
    expect(scan.entries.map((e) => e.path)).not.toEqual(expect.arrayContaining(['with space.yml']));
    expect(scan.ignored.map((i) => i.path).sort()).toEqual(['with space.yml', 'ünïcode.yml']);
    for (const entry of scan.entries) expect(entry.id).toMatch(/^[A-Za-z0-9_.\-/]+$/);
  });

  it('stops at the depth limit, in list and resolve alike', async () => {
    const catalog = new PlaybookCatalog([dir], { maxDepth: 2 });
    expect((await catalog.list()).map((e) => e.path)).not.toContain('rhel/deep/er/check.yml');
    await expect(catalog.resolve('playbooks/rhel/deep/er/check.yml')).rejects.toBeInstanceOf(NotFoundError);
  });
});
