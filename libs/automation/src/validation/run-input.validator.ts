import { BadInputError } from '@hybridforms/core';

/** Serialized size limit of a run's extra vars (UTF-8 bytes of their JSON). */
export const EXTRA_VARS_MAX_BYTES = 64 * 1024;
/** Nesting limit of extra vars: the top object is depth 1, `{ a: { b: 1 } }` is depth 2. */
export const EXTRA_VARS_MAX_DEPTH = 10;
export const LIMIT_MAX_LENGTH = 1024;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Names an extra var may not take: Ansible's magic variables, its playbook keywords (what
 * `ansible.vars.reserved.get_reserved_names()` lists; Ansible warns on them), the names templates
 * resolve to functions (shadowing `lookup` breaks every playbook that calls it), `item` (loop
 * variable), and Python keywords (Ansible rejects them as variable names). `ansible_*` is refused
 * separately, whatever follows the prefix.
 */
export const RESERVED_VAR_NAMES: ReadonlySet<string> = new Set([
  // Magic variables (docs: "Special Variables").
  'hostvars',
  'groups',
  'group_names',
  'inventory_hostname',
  'inventory_hostname_short',
  'inventory_dir',
  'inventory_file',
  'omit',
  'play_hosts',
  'playbook_dir',
  'role_name',
  'role_names',
  'role_path',
  'role_uuid',
  'vars',
  'environment',
  'item',
  // Template globals.
  'lookup',
  'query',
  'q',
  'now',
  'undef',
  'range',
  'dict',
  'lipsum',
  'cycler',
  'joiner',
  'namespace',
  // Playbook keywords (ansible-core 2.14 get_reserved_names()).
  'action',
  'always',
  'any_errors_fatal',
  'args',
  'async',
  'async_val',
  'become',
  'become_exe',
  'become_flags',
  'become_method',
  'become_user',
  'block',
  'changed_when',
  'check_mode',
  'collections',
  'connection',
  'debugger',
  'delay',
  'delegate_facts',
  'delegate_to',
  'diff',
  'fact_path',
  'failed_when',
  'force_handlers',
  'gather_facts',
  'gather_subset',
  'gather_timeout',
  'handlers',
  'hosts',
  'ignore_errors',
  'ignore_unreachable',
  'local_action',
  'loop',
  'loop_control',
  'loop_with',
  'max_fail_percentage',
  'module_defaults',
  'name',
  'no_log',
  'notify',
  'order',
  'poll',
  'port',
  'post_tasks',
  'pre_tasks',
  'register',
  'remote_user',
  'rescue',
  'retries',
  'roles',
  'run_once',
  'serial',
  'strategy',
  'tags',
  'tasks',
  'throttle',
  'timeout',
  'until',
  'vars_files',
  'vars_prompt',
  'when',
  // Python keywords, and the Jinja literals.
  ...['False', 'None', 'True', 'and', 'as', 'assert', 'await', 'break', 'class', 'continue', 'def', 'del', 'elif'],
  ...['else', 'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'nonlocal', 'not'],
  ...['or', 'pass', 'raise', 'return', 'try', 'while', 'with', 'yield', 'true', 'false', 'none'],
]);

/** Why a top-level extra var name is refused, or null when it is fine. */
export function extraVarNameProblem(name: string): string | null {
  if (!VAR_NAME.test(name)) return `extra var name ${quote(name)} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`;
  if (/^ansible_/i.test(name)) return `extra var ${quote(name)} is refused: ansible_* variables control connection, interpreter and privilege settings`;
  if (/^with_/i.test(name)) return `extra var ${quote(name)} is refused: with_* is a reserved Ansible loop keyword`;
  if (RESERVED_VAR_NAMES.has(name) || RESERVED_VAR_NAMES.has(name.toLowerCase())) {
    return `extra var ${quote(name)} is refused: it is a reserved or magic Ansible variable name`;
  }
  return null;
}

/**
 * Checks a run's extra vars: a JSON object (not an array, not null) of at most 64 KB serialized and
 * at most 10 levels deep, whose top-level names are plain identifiers that are neither `ansible_*`
 * nor reserved/magic Ansible names. Nested keys may be any string except `__ansible_*` (the markers
 * Ansible's JSON decoder interprets: `__ansible_unsafe`, `__ansible_vault`) and `__proto__`. Values must be JSON:
 * no undefined, functions, non-finite numbers or class instances. Every problem found is listed in
 * the one BadInputError thrown. Returns the same object.
 */
export function validateExtraVars(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !isPlainObject(value)) {
    throw new BadInputError(`extraVars must be a JSON object, got ${describe(value)}`);
  }
  const problems: string[] = [];
  for (const name of Object.keys(value)) {
    const problem = extraVarNameProblem(name);
    if (problem) problems.push(problem);
  }
  // Iterative walk: a hostile, very deep document must not overflow the stack before we refuse it.
  let deepestReported = false;
  const stack: Array<{ node: unknown; depth: number; path: string }> = [{ node: value, depth: 1, path: 'extraVars' }];
  while (stack.length > 0 && problems.length < 50) {
    const { node, depth, path } = stack.pop()!;
    if (depth > EXTRA_VARS_MAX_DEPTH) {
      if (!deepestReported) problems.push(`extraVars nest deeper than ${EXTRA_VARS_MAX_DEPTH} levels (at ${path})`);
      deepestReported = true;
      continue;
    }
    const entries: Array<[string, unknown]> = Array.isArray(node)
      ? node.map((item, index) => [`[${index}]`, item])
      : Object.entries(node as Record<string, unknown>).map(([key, item]) => [`.${key}`, item]);
    for (const [step, child] of entries) {
      const childPath = `${path}${step}`;
      if (!Array.isArray(node) && /^__ansible_/i.test(step.slice(1))) {
        problems.push(`${childPath}: keys starting with __ansible_ are reserved for Ansible's own markers`);
      }
      if (!Array.isArray(node) && step === '.__proto__') problems.push(`${childPath}: the key __proto__ is not allowed`);
      const problem = valueProblem(child);
      if (problem) problems.push(`${childPath}: ${problem}`);
      else if (child !== null && typeof child === 'object') stack.push({ node: child, depth: depth + 1, path: childPath });
    }
  }
  if (problems.length === 0) {
    const bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    if (bytes > EXTRA_VARS_MAX_BYTES) problems.push(`extraVars are ${bytes} bytes serialized, more than the ${EXTRA_VARS_MAX_BYTES} allowed`);
  }
  if (problems.length > 0) throw new BadInputError(`Invalid extraVars: ${problems.join('; ')}`, problems);
  return value as Record<string, unknown>;
}

function valueProblem(value: unknown): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : 'numbers must be finite';
    case 'object':
      if (value === null || Array.isArray(value) || isPlainObject(value)) return null;
      return `${describe(value)} is not a JSON value`;
    default:
      return `${typeof value} is not a JSON value`;
  }
}

const LIMIT_ELEMENT = /^[!&]?[A-Za-z0-9_.*][A-Za-z0-9_.*-]*$/;

/**
 * Checks an Ansible host pattern (`--limit`): elements separated by `,` or `:` (not both: Ansible
 * does not split on `:` when there is a `,`, so a mix would silently match nothing), each made of
 * `[A-Za-z0-9_.*-]`, optionally prefixed by `!` (exclusion) or `&` (intersection). Refuses `@`
 * (Ansible reads `@file` from the controller), `~` (regular expressions), a leading `-` (looks like
 * an option), whitespace, shell/Jinja metacharacters, empty elements and more than 1024 characters.
 * Every problem found is listed in one BadInputError. Returns the value unchanged.
 */
export function validateLimit(value: unknown): string {
  if (typeof value !== 'string') throw new BadInputError(`limit must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new BadInputError('limit must not be empty (omit it to run on every target)');
  if (value.length > LIMIT_MAX_LENGTH) throw new BadInputError(`limit is ${value.length} characters long, more than the ${LIMIT_MAX_LENGTH} allowed`);
  const problems: string[] = [];
  if (value.includes('@')) problems.push("limit must not contain '@' (it makes Ansible read a file on the controller)");
  if (value.includes('~')) problems.push("limit must not contain '~' (regular expression patterns are not allowed)");
  if (/\s/u.test(value)) problems.push('limit must not contain whitespace');
  if (value.includes(',') && value.includes(':')) {
    // Ansible splits on ':' only when there is no ',' (ansible.inventory.manager.split_host_pattern).
    problems.push("limit must separate its patterns with ',' or with ':', not both (with a ',' Ansible does not split on ':')");
  }
  const elements = value.split(/[,:]/);
  elements.forEach((element, index) => {
    if (element.length === 0) {
      problems.push(`limit element ${index + 1} is empty`);
    } else if (/^[!&]?-/.test(element)) {
      problems.push(`limit element ${quote(element)} must not start with '-'`);
    } else if (!LIMIT_ELEMENT.test(element) && !/[@~\s]/u.test(element)) {
      problems.push(`limit element ${quote(element)} may only hold letters, digits, '_', '.', '*', '-', after an optional '!' or '&'`);
    }
  });
  if (problems.length > 0) throw new BadInputError(`Invalid limit: ${problems.join('; ')}`, problems);
  return value;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof value}`;
}

/** Quotes user text for an error message, escaping control and non-ASCII characters so they show. */
function quote(text: string): string {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  return JSON.stringify(shown).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
