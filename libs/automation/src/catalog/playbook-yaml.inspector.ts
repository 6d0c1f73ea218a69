/**
 * Just enough YAML to tell a playbook from other YAML files and to read its first play's name,
 * without a YAML dependency: only the first document is read, its top level must be a block
 * sequence, and a playbook is one of whose items has a `hosts:` key (a play) or an
 * `import_playbook:` key (a playbook of playbooks). Flow-style items (`- { hosts: all }`) are not
 * recognised.
 */
export interface PlaybookYamlInfo {
  isPlaybook: boolean;
  /** The first play's `name:`, unquoted and folded to one line; null when it has none. */
  description: string | null;
}

const DESCRIPTION_MAX = 500;
const KEY = /^([A-Za-z_][A-Za-z0-9_.]*)[ \t]*:(?:[ \t]+(.*)|[ \t]*)$/;

interface Line {
  indent: number;
  text: string;
}

export function inspectPlaybookYaml(source: string): PlaybookYamlInfo {
  const lines = firstDocument(source);
  const first = lines.find((line) => isSignificant(line));
  if (!first || !isItemStart(first.text)) return { isPlaybook: false, description: null };
  const topIndent = first.indent;

  let isPlaybook = false;
  let description: string | null = null;
  let foundPlay = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!isSignificant(line) || line.indent !== topIndent) continue;
    if (!isItemStart(line.text)) break; // the top-level sequence ended (or it never was one)
    const item = itemKeys(lines, i, topIndent);
    if (item.keys.has('hosts')) {
      isPlaybook = true;
      if (!foundPlay) {
        foundPlay = true;
        const name = item.keys.get('name');
        description = name ? scalarValue(lines, name.line, name.rest, name.keyIndent) : null;
      }
    } else if (item.keys.has('import_playbook') || item.keys.has('ansible.builtin.import_playbook')) {
      isPlaybook = true;
    }
  }
  return { isPlaybook, description: isPlaybook ? description : null };
}

function firstDocument(source: string): Line[] {
  const result: Line[] = [];
  let started = false;
  for (const raw of source.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const text = raw.replace(/\t/g, ' ');
    if (/^---(\s|$)/.test(text)) {
      if (started) break;
      started = true;
      const rest = text.slice(3).trim();
      if (rest && !rest.startsWith('#')) result.push({ indent: 0, text: rest });
      continue;
    }
    if (/^\.\.\.(\s|$)/.test(text)) break;
    if (!started && text.startsWith('%')) continue; // directives before the document
    if (text.trim() && !text.trim().startsWith('#')) started = true;
    const indent = text.length - text.trimStart().length;
    result.push({ indent, text: text.trimStart() });
  }
  return result;
}

function isSignificant(line: Line): boolean {
  return line.text.length > 0 && !line.text.startsWith('#');
}

function isItemStart(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

interface KeyAt {
  line: number;
  rest: string;
  keyIndent: number;
}

/** The keys of the sequence item starting at lines[start], at the item's own key indentation. */
function itemKeys(lines: Line[], start: number, topIndent: number): { keys: Map<string, KeyAt> } {
  const keys = new Map<string, KeyAt>();
  const head = lines[start];
  const afterDash = head.text.slice(1);
  const inline = afterDash.trimStart();
  let keyIndent: number | null = null;
  if (inline && !inline.startsWith('#')) {
    keyIndent = topIndent + 1 + (afterDash.length - inline.length);
    const match = KEY.exec(inline);
    if (match) keys.set(match[1], { line: start, rest: match[2] ?? '', keyIndent });
  }
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    if (!isSignificant(line)) continue;
    if (line.indent <= topIndent) break;
    keyIndent ??= line.indent;
    if (line.indent !== keyIndent) continue;
    const match = KEY.exec(line.text);
    if (match && !keys.has(match[1])) keys.set(match[1], { line: i, rest: match[2] ?? '', keyIndent });
  }
  return { keys };
}

/** Reads a scalar value starting after `key:`: plain, single- or double-quoted, or a block scalar. */
function scalarValue(lines: Line[], lineIndex: number, rest: string, keyIndent: number): string | null {
  const continuation = (): string[] => {
    const more: string[] = [];
    for (let i = lineIndex + 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.text.length === 0) {
        more.push('');
        continue;
      }
      if (line.indent <= keyIndent) break;
      more.push(line.text);
    }
    return more;
  };
  let value: string;
  const trimmed = rest.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith("'")) {
    const quote = trimmed[0];
    const text = [trimmed, ...continuation()].join(' ');
    value = quote === '"' ? doubleQuoted(text) : singleQuoted(text);
  } else if (/^[|>][0-9+-]*\s*(#.*)?$/.test(trimmed)) {
    value = continuation().join(' ');
  } else {
    const plain = trimmed.replace(/\s+#.*$/, '');
    if (plain.startsWith('#')) return null;
    value = [plain, ...continuation().filter((l) => !l.startsWith('#'))].join(' ');
  }
  const folded = value.replace(/\s+/g, ' ').trim();
  if (!folded) return null;
  return folded.length > DESCRIPTION_MAX ? `${folded.slice(0, DESCRIPTION_MAX - 1)}…` : folded;
}

function singleQuoted(text: string): string {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        out += "'";
        i++;
        continue;
      }
      break;
    }
    out += text[i];
  }
  return out;
}

const ESCAPES: Record<string, string> = { n: ' ', t: ' ', r: ' ', '"': '"', '\\': '\\', '/': '/', ' ': ' ', '0': '' };

function doubleQuoted(text: string): string {
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') break;
    if (c === '\\') {
      const next = text[i + 1] ?? '';
      const hex = /^[xuU]/.test(next) ? /^([xuU])([0-9A-Fa-f]+)/.exec(text.slice(i + 1)) : null;
      if (hex) {
        const width = hex[1] === 'x' ? 2 : hex[1] === 'u' ? 4 : 8;
        const code = Number.parseInt(hex[2].slice(0, width), 16);
        out += code >= 0x20 && code <= 0x10ffff ? String.fromCodePoint(code) : '';
        i += 1 + Math.min(width, hex[2].length);
      } else {
        out += ESCAPES[next] ?? next;
        i++;
      }
      continue;
    }
    out += c;
  }
  return out;
}
