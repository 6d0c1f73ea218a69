import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { extraVarsFileText } from '../runner/extravars.js';
import { validateExtraVars } from '../validation/run-input.validator.js';
import { PlaybookCatalog } from './playbook.catalog.js';

// The playbooks shipped in config/playbooks must stay valid: a broken one fails the build.
const ANSIBLE_PLAYBOOK = '/usr/bin/ansible-playbook';
const SHIPPED = join(process.cwd(), 'config/playbooks');
const run = promisify(execFile);
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LANG: 'C.UTF-8', ANSIBLE_NOCOLOR: '1' };

/**
 * Runs a playbook on localhost (connection local, as root so that no sudo is needed) with extra
 * vars validated and written the way the runner writes them (every string unsafe).
 */
async function playLocally(playbook: string, extraVars: Record<string, unknown> = {}, verbose = false): Promise<{ rc: number; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'hf-shipped-'));
  try {
    await writeFile(join(dir, 'hosts.json'), JSON.stringify({ all: { hosts: { localhost: { ansible_connection: 'local', ansible_user: 'root', ansible_python_interpreter: '/usr/bin/python3' } } } }));
    await writeFile(join(dir, 'extravars.json'), extraVarsFileText(validateExtraVars(extraVars)), { mode: 0o600 });
    const args = ['-i', join(dir, 'hosts.json'), '-e', `@${join(dir, 'extravars.json')}`, ...(verbose ? ['-vvv'] : []), playbook];
    return await run(ANSIBLE_PLAYBOOK, args, { env: ENV, timeout: 120_000 }).then(
      ({ stdout, stderr }) => ({ rc: 0, output: stdout + stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ rc: typeof error.code === 'number' ? error.code : -1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

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

  it('gather-facts runs read-only and tolerates a host without subscription-manager', async () => {
    const { rc, output } = await playLocally(join(SHIPPED, 'rhel/gather-facts.yml'));
    expect({ rc, output }).toEqual({ rc: 0, output: expect.stringMatching(/"kernel":/) });
    expect(output).toMatch(/changed=0 .*failed=0/);
  });

  it.each([['sshd\n'], ['../sshd'], ['ssh d'], ['$(id)'], ['a;b'], ['{{ lookup("pipe", "id") }}'], [5], [['sshd']]])(
    'restart-service refuses the service_name %j before touching anything',
    async (serviceName) => {
      const { rc, output } = await playLocally(join(SHIPPED, 'rhel/restart-service.yml'), { service_name: serviceName });
      expect(rc).toBe(2);
      expect(output).toMatch(/a plain systemd unit name/);
      expect(output).not.toMatch(/TASK \[Collect the services/);
    },
  );

  it('security-updates is in check mode unless apply is true', async () => {
    const text = await readFile(join(SHIPPED, 'rhel/security-updates.yml'), 'utf8');
    expect(text).toMatch(/hf_apply: "\{\{ apply \| default\(false\) \| bool \}\}"/);
    const installs = text.split(/\n    - name: /).filter((task) => /ansible\.builtin\.(dnf|yum):/.test(task));
    expect(installs).toHaveLength(2);
    for (const task of installs) expect(task).toMatch(/check_mode: "\{\{ not hf_apply \}\}"/);
  });

  it('register-rhsm registers once, is idempotent, and never shows the activation key', async () => {
    // The playbook runs against a stand-in subscription-manager (same commands, same exit codes).
    const dir = await mkdtemp(join(tmpdir(), 'hf-rhsm-'));
    try {
      const fake = join(dir, 'subscription-manager');
      await writeFile(
        fake,
        [
          '#!/bin/sh',
          'D="$(dirname "$0")"; echo "$@" >> "$D/calls.log"',
          'case "$1" in',
          '  identity) [ -f "$D/registered" ] && { echo "system identity: 1"; exit 0; }; echo "This system is not yet registered." >&2; exit 1;;',
          '  register) touch "$D/registered"; echo "The system has been registered with ID: 1"; exit 0;;',
          '  status) echo "Overall Status: Current"; exit 0;;',
          '  release) if [ "$2" = "--show" ]; then [ -f "$D/rel" ] && echo "Release: $(cat "$D/rel")" || echo "Release not set"; else echo "${2#--set=}" > "$D/rel"; echo "Release set to: ${2#--set=}"; fi;;',
          'esac',
          '',
        ].join('\n'),
      );
      await chmod(fake, 0o755);
      const original = await readFile(join(SHIPPED, 'rhel/register-rhsm.yml'), 'utf8');
      const copy = join(dir, 'register-rhsm.yml');
      await writeFile(copy, original.replaceAll('/usr/sbin/subscription-manager', fake));
      const vars = { rhsm_org_id: '1234567', rhsm_activation_key: 'VERY-SECRET-KEY-42', rhsm_release: '9.4' };

      const first = await playLocally(copy, vars, true);
      expect(first.rc).toBe(0);
      expect(first.output).toMatch(/changed=2 /);
      expect(first.output).toMatch(/registered; Overall Status: Current/);
      const second = await playLocally(copy, vars, true);
      expect(second.rc).toBe(0);
      expect(second.output).toMatch(/changed=0 /);
      expect(second.output).toMatch(/already registered/);
      for (const output of [first.output, second.output]) expect(output).not.toContain('VERY-SECRET-KEY-42');
      const calls = (await readFile(join(dir, 'calls.log'), 'utf8')).trim().split('\n');
      expect(calls.filter((c) => c.startsWith('register'))).toEqual(['register --org=1234567 --activationkey=VERY-SECRET-KEY-42']);

      const missing = await playLocally(copy, { rhsm_org_id: '1234567' });
      expect(missing.rc).toBe(2);
      expect(missing.output).toMatch(/Pass rhsm_org_id/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
