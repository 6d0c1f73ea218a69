import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve as resolvePath, sep } from 'node:path';
import { BadInputError, NotFoundError } from '@hybridforms/core';
import { inspectPlaybookYaml } from './playbook-yaml.inspector.js';

export interface PlaybookDirectoryConfig {
  /** Absolute, or relative to the process cwd (or options.cwd). */
  path: string;
  /** The id prefix; derived from the directory's base name when absent. */
  label?: string;
}

export interface PlaybookCatalogOptions {
  /** What relative directories are resolved against; process.cwd() by default. */
  cwd?: string;
  /** How many directory levels below a configured directory are searched (default 8). */
  maxDepth?: number;
  /** How many YAML files are examined per directory at most (default 2000). */
  maxFiles?: number;
  /** Larger YAML files are not read (default 1 MiB). */
  maxFileBytes?: number;
}

export interface PlaybookCatalogEntry {
  /** `<directory label>/<path>`: stable while the configuration and the file stay, URL-safe characters only. */
  id: string;
  /** The file name without its extension. */
  name: string;
  /** Absolute real path of the configured directory. */
  directory: string;
  /** Relative to directory, `/`-separated. */
  path: string;
  /** The first play's `name:`. */
  description: string | null;
}

export interface ResolvedPlaybook {
  id: string;
  /** Absolute real path of the configured directory (a RunnerJob's projectDir). */
  directory: string;
  /** Relative to directory, `/`-separated (a RunnerJob's playbook). */
  path: string;
  absolutePath: string;
}

export interface IgnoredPlaybookFile {
  directory: string;
  path: string;
  reason: string;
}

export interface CatalogScan {
  entries: PlaybookCatalogEntry[];
  /** Files and directories left out for a reason an operator should know (not plain non-playbooks). */
  ignored: IgnoredPlaybookFile[];
}

const LABEL = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** A path segment of a catalog entry: URL-safe, not hidden. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const PLAYBOOK_FILE = /\.ya?ml$/;
const REF_MAX = 1024;

interface Root {
  label: string;
  absolute: string;
}

/**
 * The playbooks of the configured directories. Nothing is cached: every list() and resolve()
 * reads the directories again, so a playbook added, edited or removed shows at once (a directory
 * of a few hundred small files takes milliseconds).
 *
 * A playbook is a `*.yml`/`*.yaml` file anywhere below a directory (hidden files and directories
 * skipped) whose top level is a list of plays (see inspectPlaybookYaml). Symlinks are followed
 * only while their real path stays inside the configured directory's real path; a directory
 * reached through two paths (a symlink alias) is listed under both, a link loop is cut.
 */
export class PlaybookCatalog {
  private readonly roots: Root[];
  private readonly maxDepth: number;
  private readonly maxFiles: number;
  private readonly maxFileBytes: number;

  constructor(directories: ReadonlyArray<string | PlaybookDirectoryConfig>, options: PlaybookCatalogOptions = {}) {
    const cwd = options.cwd ?? process.cwd();
    this.maxDepth = options.maxDepth ?? 8;
    this.maxFiles = options.maxFiles ?? 2000;
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.roots = [];
    const used = new Set<string>();
    for (const item of directories) {
      const config = typeof item === 'string' ? { path: item } : item;
      const absolute = resolvePath(cwd, config.path);
      let label: string;
      if (config.label !== undefined) {
        if (!LABEL.test(config.label)) throw new Error(`Playbook directory label ${JSON.stringify(config.label)} must match ${LABEL}`);
        if (used.has(config.label)) throw new Error(`Playbook directory label ${JSON.stringify(config.label)} is used twice`);
        label = config.label;
      } else {
        const base = basename(absolute).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^[-_]+|-+$/g, '').slice(0, 48) || 'playbooks';
        label = base;
        for (let n = 2; used.has(label); n++) label = `${base}-${n}`;
      }
      used.add(label);
      this.roots.push({ label, absolute });
    }
  }

  /** The configured directories with their labels, in configuration order. */
  directories(): Array<{ label: string; path: string }> {
    return this.roots.map((root) => ({ label: root.label, path: root.absolute }));
  }

  async list(): Promise<PlaybookCatalogEntry[]> {
    return (await this.scan()).entries;
  }

  async scan(): Promise<CatalogScan> {
    const entries: PlaybookCatalogEntry[] = [];
    const ignored: IgnoredPlaybookFile[] = [];
    for (const root of this.roots) {
      const real = await realpath(root.absolute).catch(() => null);
      if (!real || !(await stat(real)).isDirectory()) {
        ignored.push({ directory: root.absolute, path: '', reason: 'the directory does not exist' });
        continue;
      }
      await this.walk(root, real, real, [], new Set([real]), { files: 0 }, entries, ignored);
    }
    return { entries, ignored };
  }

  /**
   * The catalog entry a ref (an id, `<label>/<path>`) names. A ref with `..`, `.` or empty
   * segments, an absolute path, a NUL, a backslash or characters outside the id alphabet, and a
   * path whose symlinks lead out of its directory, are a BadInputError; a well-formed ref that
   * names no playbook of the catalog is a NotFoundError.
   */
  async resolve(ref: unknown): Promise<ResolvedPlaybook> {
    const segments = this.checkRef(ref);
    const id = segments.join('/');
    const [label, ...rest] = segments;
    const root = this.roots.find((r) => r.label === label);
    const notFound = (why: string) => new NotFoundError(`Playbook ${JSON.stringify(id)} is not in the catalog: ${why}`);
    if (!root) throw notFound(`there is no playbook directory labelled ${JSON.stringify(label)} (ids look like <directory>/<path>.yml)`);
    if (rest.length === 0) throw notFound('the id names a directory, not a playbook');
    const rootReal = await realpath(root.absolute).catch(() => null);
    if (!rootReal) throw notFound('its directory does not exist');
    // Every step must stay inside: a symlinked directory that leaves and comes back in is refused too.
    let current = rootReal;
    for (let i = 0; i < rest.length; i++) {
      const next = await realpath(join(current, rest[i])).catch(() => null);
      if (!next) throw notFound('no such file');
      if (!isInside(rootReal, next)) {
        throw new BadInputError(`Playbook ${JSON.stringify(id)} leads out of its directory through a symbolic link`);
      }
      current = next;
    }
    const relative = rest.join('/');
    if (rest.some((segment) => segment.startsWith('.'))) throw notFound('hidden files are not part of the catalog');
    if (rest.length - 1 > this.maxDepth) throw notFound(`it is deeper than ${this.maxDepth} directories`);
    if (!PLAYBOOK_FILE.test(relative)) throw notFound('playbooks are .yml or .yaml files');
    const info = await stat(current);
    if (!info.isFile()) throw notFound('it is not a file');
    if (info.size > this.maxFileBytes) throw notFound(`it is larger than ${this.maxFileBytes} bytes`);
    if (!inspectPlaybookYaml(await readFile(current, 'utf8')).isPlaybook) throw notFound('the file is not a playbook (a list of plays with hosts:)');
    return { id, directory: rootReal, path: relative, absolutePath: join(rootReal, ...rest) };
  }

  private checkRef(ref: unknown): string[] {
    if (typeof ref !== 'string' || ref.length === 0) throw new BadInputError('playbook must be a non-empty string (a catalog id such as playbooks/rhel/gather-facts.yml)');
    if (ref.length > REF_MAX) throw new BadInputError(`playbook is longer than ${REF_MAX} characters`);
    if (ref.includes('\0')) throw new BadInputError('playbook must not contain a NUL character');
    if (ref.includes('\\')) throw new BadInputError('playbook must not contain a backslash (ids use /)');
    if (ref.startsWith('/') || isAbsolute(ref) || /^[A-Za-z]:/.test(ref)) throw new BadInputError('playbook must be a catalog id, not an absolute path');
    const segments = ref.split('/');
    if (segments.includes('..')) throw new BadInputError("playbook must not contain '..' segments");
    if (segments.some((s) => s === '' || s === '.')) throw new BadInputError("playbook must not contain empty or '.' segments");
    const bad = segments.find((s) => !/^[A-Za-z0-9_.-]+$/.test(s));
    if (bad !== undefined) throw new BadInputError("playbook ids only contain letters, digits, '_', '.', '-' and '/'");
    return segments;
  }

  private async walk(
    root: Root,
    rootReal: string,
    dirPath: string,
    segments: string[],
    ancestors: Set<string>,
    counter: { files: number },
    entries: PlaybookCatalogEntry[],
    ignored: IgnoredPlaybookFile[],
  ): Promise<void> {
    const children = await readdir(dirPath, { withFileTypes: true }).catch(() => []);
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      if (child.name.startsWith('.')) continue;
      const childSegments = [...segments, child.name];
      const relative = childSegments.join('/');
      const childPath = join(dirPath, child.name);
      let isDirectory = child.isDirectory();
      let isFile = child.isFile();
      let real = childPath;
      if (child.isSymbolicLink()) {
        const target = await realpath(childPath).catch(() => null);
        if (!target) {
          if (PLAYBOOK_FILE.test(child.name)) ignored.push({ directory: rootReal, path: relative, reason: 'broken symbolic link' });
          continue;
        }
        if (!isInside(rootReal, target)) {
          ignored.push({ directory: rootReal, path: relative, reason: 'symbolic link that leads out of the directory' });
          continue;
        }
        const info = await stat(target).catch(() => null);
        if (!info) continue;
        isDirectory = info.isDirectory();
        isFile = info.isFile();
        real = target;
      }
      if (isDirectory) {
        if (ancestors.has(real)) continue; // a link loop
        if (segments.length >= this.maxDepth) {
          ignored.push({ directory: rootReal, path: relative, reason: `deeper than ${this.maxDepth} directories` });
          continue;
        }
        await this.walk(root, rootReal, childPath, childSegments, new Set([...ancestors, real]), counter, entries, ignored);
        continue;
      }
      if (!isFile || !PLAYBOOK_FILE.test(child.name)) continue;
      if (!childSegments.every((s) => SEGMENT.test(s))) {
        ignored.push({ directory: rootReal, path: relative, reason: "its path has characters other than letters, digits, '_', '.', '-'" });
        continue;
      }
      if (++counter.files > this.maxFiles) {
        if (counter.files === this.maxFiles + 1) ignored.push({ directory: rootReal, path: relative, reason: `more than ${this.maxFiles} YAML files; the rest is not listed` });
        continue;
      }
      const size = await stat(real).then((s) => s.size, () => null);
      if (size !== null && size > this.maxFileBytes) {
        ignored.push({ directory: rootReal, path: relative, reason: `larger than ${this.maxFileBytes} bytes` });
        continue;
      }
      const text = size === null ? null : await readFile(real, 'utf8').catch(() => null);
      if (text === null) {
        ignored.push({ directory: rootReal, path: relative, reason: 'the file cannot be read' });
        continue;
      }
      const info = inspectPlaybookYaml(text);
      if (!info.isPlaybook) continue;
      entries.push({
        id: `${root.label}/${relative}`,
        name: child.name.replace(PLAYBOOK_FILE, ''),
        directory: rootReal,
        path: relative,
        description: info.description,
      });
    }
  }
}

function isInside(root: string, candidate: string): boolean {
  const prefix = root.endsWith(sep) ? root : root + sep;
  return candidate === root || candidate.startsWith(prefix);
}
