import { type ProviderLogger, type ProvisionSource, type ProvisionSpec } from '@hybridforms/core';
import { hostNativeId, hyperVConnection } from './hyperv.collector.js';
import type { HyperVCredentials, ResolvedHyperVConfig } from './hyperv-provider.config.js';
import { checkSpecShape, DEFAULT_MEMORY_MB, templateFileOf, vmNameProblems } from './hyperv-provision.checks.js';
import { availableMemoryBytes, parseProvisionCheck, parseProvisionSources, provisionSourcesOf, type ProvisionCheckFacts } from './hyperv-provision.parser.js';
import {
  buildProvisionCheckScript,
  buildProvisionSourcesScript,
  PROVISION_CHECK_COMMAND_NAME,
  PROVISION_SOURCES_COMMAND_NAME,
} from './hyperv-provision.script.js';
import { encodePowerShellCommand } from './powershell-command.js';
import { PowerShellSession } from './powershell.session.js';
import type { ProvisionCheckQuery } from './hyperv-provision.script.js';
import type { ProvisionSourcesFacts } from './hyperv-provision.parser.js';

/** True when the script's encoded command fits cmd.exe's command line. */
function fits(script: string): boolean {
  try {
    encodePowerShellCommand(script);
    return true;
  } catch {
    return false;
  }
}

/**
 * Splits items into groups whose script fits one command line (cmd.exe's 8,191 characters, the
 * base64 of UTF-16 being 8/3 of the script): one group unless there are many or long values.
 */
export function fittingGroups<T>(items: readonly T[], build: (group: T[]) => string): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (current.length > 0 && !fits(build([...current, item]))) {
      groups.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups;
}

type Host = ResolvedHyperVConfig['hosts'][number];
const MB = 1024 * 1024;

/**
 * The provisioning read duties on the hosts: one SSH session and one script per host for the
 * sources, and one per host named by a spec for the live checks.
 */
export class HyperVProvisionClient {
  constructor(
    private readonly config: ResolvedHyperVConfig,
    private readonly credentials: HyperVCredentials,
    private readonly options: { logger: ProviderLogger; signal?: AbortSignal },
  ) {}

  /**
   * The template VHDX files and template VMs of every host. A host that fails is logged and left
   * out (its sources are simply not offered now); when every host fails, the first error is thrown.
   */
  async sources(): Promise<ProvisionSource[]> {
    const results = await Promise.allSettled(this.config.hosts.map((host) => this.hostSources(host)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failures.length === results.length && failures.length > 0) throw failures[0].reason;
    results.forEach((r, i) => {
      if (r.status === 'rejected') this.options.logger.warn(`hyperv: sources of ${this.where(this.config.hosts[i])} not read: ${(r.reason as Error).message}`);
    });
    return results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  }

  private async hostSources(host: Host): Promise<ProvisionSource[]> {
    const where = this.where(host);
    // Many or long library paths take more than one command line: one script per group, merged.
    const groups = fittingGroups(host.libraryPaths, buildProvisionSourcesScript);
    const facts: ProvisionSourcesFacts = { computerName: null, vhds: [], templates: [], missing: [] };
    for (const group of groups) {
      const part = parseProvisionSources(await this.run(host, PROVISION_SOURCES_COMMAND_NAME, buildProvisionSourcesScript(group)), `${PROVISION_SOURCES_COMMAND_NAME} on ${where}`);
      facts.computerName ??= part.computerName;
      facts.vhds.push(...part.vhds.filter((v) => !facts.vhds.some((w) => w.path.toLowerCase() === v.path.toLowerCase())));
      facts.templates.push(...part.templates.filter((t) => !facts.templates.some((u) => u.vmId === t.vmId)));
      facts.missing.push(...part.missing);
    }
    for (const path of facts.missing) this.options.logger.warn(`hyperv: library path ${path} is not a folder on ${where}`);
    return provisionSourcesOf(hostNativeId(host), facts);
  }

  /** Every problem of the specs: the pure ones, then one script per host for the live facts. */
  async check(specs: ProvisionSpec[]): Promise<string[]> {
    const hostIds = this.config.hosts.map(hostNativeId);
    const problems = specs.flatMap((spec) => checkSpecShape(spec, hostIds));
    const byHost = new Map<Host, ProvisionSpec[]>();
    for (const spec of specs) {
      const host = this.config.hosts.find((h) => hostNativeId(h) === spec.placement?.hostNativeId);
      if (host) byHost.set(host, [...(byHost.get(host) ?? []), spec]);
    }
    for (const onHost of byHost.values()) problems.push(...sameNameProblems(onHost));
    const live = await Promise.all([...byHost].map(([host, onHost]) => this.hostProblems(host, onHost)));
    return [...problems, ...live.flat()];
  }

  private async hostProblems(host: Host, specs: ProvisionSpec[]): Promise<string[]> {
    const where = this.where(host);
    const id = hostNativeId(host);
    const named = specs.filter((s) => vmNameProblems(s.name).length === 0);
    const files = specs.flatMap((s) => {
      const f = s.source ? templateFileOf(s) : { problem: '' };
      return 'path' in f ? [{ spec: s, path: f.path }] : [];
    });
    const query = {
      vmNames: unique(named.map((s) => s.name)),
      switchNames: unique(specs.flatMap((s) => (s.placement?.switchName && s.placement.switchName.length <= 100 ? [s.placement.switchName] : []))),
      files: unique(files.map((f) => f.path)),
      folders: unique(specs.flatMap((s) => (s.placement?.vhdFolder ? [s.placement.vhdFolder] : []))),
    };
    let facts: ProvisionCheckFacts;
    try {
      facts = await this.checkFacts(host, query);
    } catch (error) {
      return [`placement.hostNativeId: host ${id} (${where}) could not be checked: ${(error as Error).message}`];
    }
    const problems: string[] = [];
    const of = (s: ProvisionSpec) => ` (VM '${s.name}')`;
    for (const s of named) if (facts.vms.get(s.name.toLowerCase())) problems.push(`name: a VM named '${s.name}' exists already on host ${id}`);
    for (const s of specs) {
      const sw = s.placement?.switchName;
      if (sw && facts.switches.get(sw.toLowerCase()) === false) problems.push(`placement.switchName: host ${id} has no virtual switch '${sw}'${of(s)}`);
      const folder = s.placement?.vhdFolder;
      if (folder && facts.folders.get(folder.toLowerCase()) === false) problems.push(`placement.vhdFolder: ${folder} is not a folder on host ${id}${of(s)}`);
      const cpu = s.size?.cpuCount;
      if (Number.isInteger(cpu) && facts.logicalProcessorCount !== null && (cpu as number) > facts.logicalProcessorCount) {
        problems.push(`size.cpuCount: ${cpu} is more than the ${facts.logicalProcessorCount} logical processors of host ${id}${of(s)}`);
      }
      const mb = s.size?.memoryMB;
      if (Number.isInteger(mb) && (mb as number) * MB > facts.memoryCapacity) {
        problems.push(`size.memoryMB: ${mb} MB is more than host ${id} has (${Math.floor(facts.memoryCapacity / MB)} MB)${of(s)}`);
      }
    }
    for (const f of files) if (facts.files.get(f.path.toLowerCase()) === false) problems.push(`source: the template file ${f.path} does not exist on host ${id}${of(f.spec)}`);
    const wanted = specs.reduce((sum, s) => sum + (Number.isInteger(s.size?.memoryMB) ? (s.size.memoryMB as number) : DEFAULT_MEMORY_MB), 0);
    const available = Math.floor(availableMemoryBytes(facts) / MB);
    if (wanted > available) {
      problems.push(`size.memoryMB: the ${specs.length} VM(s) for host ${id} (${specs.map((s) => s.name).join(', ')}) need ${wanted} MB together; the host has ${available} MB free for VMs`);
    }
    return problems;
  }

  /** The check facts of one host; several scripts when the names do not fit one command line (memory from the first). */
  private async checkFacts(host: Host, query: ProvisionCheckQuery): Promise<ProvisionCheckFacts> {
    type Item = [keyof ProvisionCheckQuery, string];
    const items: Item[] = (Object.keys(query) as (keyof ProvisionCheckQuery)[]).flatMap((key) => query[key].map((v): Item => [key, v]));
    const queryOf = (group: Item[]): ProvisionCheckQuery => ({
      vmNames: group.filter(([k]) => k === 'vmNames').map(([, v]) => v),
      switchNames: group.filter(([k]) => k === 'switchNames').map(([, v]) => v),
      files: group.filter(([k]) => k === 'files').map(([, v]) => v),
      folders: group.filter(([k]) => k === 'folders').map(([, v]) => v),
    });
    let facts: ProvisionCheckFacts | null = null;
    for (const group of fittingGroups(items, (g) => buildProvisionCheckScript(queryOf(g)))) {
      const part = parseProvisionCheck(await this.run(host, PROVISION_CHECK_COMMAND_NAME, buildProvisionCheckScript(queryOf(group))), `${PROVISION_CHECK_COMMAND_NAME} on ${this.where(host)}`);
      if (facts === null) facts = part;
      else for (const key of ['vms', 'switches', 'files', 'folders'] as const) for (const [k, v] of part[key]) facts[key].set(k, v);
    }
    return facts as ProvisionCheckFacts;
  }

  private async run(host: Host, name: string, script: string): Promise<string> {
    if (host.skipHostKeyCheck) this.options.logger.warn(`hyperv: host key of ${this.where(host)} is not pinned (skipHostKeyCheck)`);
    const session = await PowerShellSession.open(hyperVConnection(this.config, this.credentials, host));
    try {
      return await session.run(name, script, undefined, this.options.signal);
    } finally {
      session.close();
    }
  }

  private where(host: Host): string {
    return `${host.host}:${host.port}`;
  }
}

function unique(values: string[]): string[] {
  const seen = new Set<string>();
  return values.filter((v) => !seen.has(v.toLowerCase()) && seen.add(v.toLowerCase()));
}

/** Two specs may not make the same name on one host (Hyper-V compares names case-insensitively). */
function sameNameProblems(specs: ProvisionSpec[]): string[] {
  const counts = new Map<string, number>();
  for (const s of specs) if (typeof s.name === 'string') counts.set(s.name.toLowerCase(), (counts.get(s.name.toLowerCase()) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([name, n]) => `name: '${name}' is asked ${n} times for host ${specs[0].placement.hostNativeId}`);
}
