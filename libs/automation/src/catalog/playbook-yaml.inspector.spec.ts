import { inspectPlaybookYaml } from './playbook-yaml.inspector.js';

const yaml = (...lines: string[]) => lines.join('\n');

describe('inspectPlaybookYaml', () => {
  it('recognises a play list and reads the first play name', () => {
    expect(inspectPlaybookYaml(yaml('---', '- name: Gather facts', '  hosts: all', '  tasks: []', '- name: Second', '  hosts: all'))).toEqual({
      isPlaybook: true,
      description: 'Gather facts',
    });
  });

  it('finds hosts before name, after comments, blank lines and directives', () => {
    expect(inspectPlaybookYaml(yaml('%YAML 1.2', '# header', '', '---', '-   hosts: web', '    # note', '    name: Deploy  # trailing comment', '    tasks:', '      - name: not this one'))).toEqual({
      isPlaybook: true,
      description: 'Deploy',
    });
  });

  it('handles a top-level item whose keys start on the next line', () => {
    expect(inspectPlaybookYaml(yaml('-', '  name: Later', '  hosts: all'))).toEqual({ isPlaybook: true, description: 'Later' });
  });

  it.each([
    ['double quotes with escapes', '"Patch \\"RHEL\\" hosts"', 'Patch "RHEL" hosts'],
    ['single quotes', "'It''s # not a comment'", "It's # not a comment"],
    ['unicode escape', '"caf\\u00e9"', 'café'],
    ['templated text', '"Restart {{ service_name }}"', 'Restart {{ service_name }}'],
  ])('unquotes %s', (_label, value, expected) => {
    expect(inspectPlaybookYaml(yaml(`- name: ${value}`, '  hosts: all')).description).toBe(expected);
  });

  it('folds block scalars and multi-line plain names', () => {
    expect(inspectPlaybookYaml(yaml('- hosts: all', '  name: >-', '    Apply security', '    updates', '  tasks: []')).description).toBe('Apply security updates');
    expect(inspectPlaybookYaml(yaml('- hosts: all', '  name: Apply', '    everything', '  tasks: []')).description).toBe('Apply everything');
  });

  it('gives no description to a play without a name, and takes the first play with hosts', () => {
    expect(inspectPlaybookYaml(yaml('- hosts: all', '  tasks: []'))).toEqual({ isPlaybook: true, description: null });
    expect(inspectPlaybookYaml(yaml('- import_playbook: other.yml', '- name: Real play', '  hosts: all'))).toEqual({
      isPlaybook: true,
      description: 'Real play',
    });
  });

  it('counts a playbook of imports as a playbook', () => {
    expect(inspectPlaybookYaml(yaml('- ansible.builtin.import_playbook: a.yml', '- import_playbook: b.yml')).isPlaybook).toBe(true);
  });

  it.each([
    ['a task list', yaml('- name: Install', '  ansible.builtin.dnf:', '    name: httpd')],
    ['a vars file', yaml('hosts: all', 'name: x')],
    ['a mapping with a nested play-like list', yaml('plays:', '  - hosts: all')],
    ['a list of scalars', yaml('- hosts', '- all')],
    ['hosts only in a nested task', yaml('- name: t', '  block:', '    - hosts: all')],
    ['an empty file', ''],
    ['comments only', '# - hosts: all'],
    ['hosts in a second document', yaml('---', '- name: t', '  debug: {}', '---', '- hosts: all')],
    ['a flow sequence', '[{hosts: all}]'],
  ])('refuses %s', (_label, source) => {
    expect(inspectPlaybookYaml(source)).toEqual({ isPlaybook: false, description: null });
  });

  it('reads CRLF files and a byte order mark', () => {
    expect(inspectPlaybookYaml('\uFEFF- name: Windows edited\r\n  hosts: all\r\n')).toEqual({ isPlaybook: true, description: 'Windows edited' });
  });
});
