import type { AutomationRuleEntity, AutomationRuleRepository, PlaybookRunEntity, PlaybookRunRepository, VmEntity } from '@hybridforms/persistence';
import type { PlaybookRunRequest, StartPlaybookRun } from '../runs/start-playbook-run.usecase.js';
import { AutomationRuleEngine, type RuleEvent } from './automation-rule.engine.js';
import type { AutomationRulesService } from './automation-rules.service.js';

// The engine's decisions against in-memory stand-ins of its stores: which events fire, and how the
// cooldown and the hourly cap hold a storm back. (The e2e suite fires a real rule over the API.)

function rule(over: Partial<AutomationRuleEntity> = {}): AutomationRuleEntity {
  return {
    id: 'rule-1',
    name: 'r',
    enabled: true,
    onProviderId: null,
    onType: 'vm.started',
    onOsFamily: 'rhel',
    playbook: 'pb/x.yml',
    extraVars: {},
    credentialId: 'cred',
    cooldownSeconds: 600,
    maxRunsPerHour: 3,
    createdAt: new Date(),
    updatedAt: new Date(),
    ...over,
  };
}

function setup(rules: AutomationRuleEntity[], vms: Partial<VmEntity>[]) {
  const runs: (PlaybookRunRequest & { id: string; requestedAt: Date })[] = [];
  const since = (ruleId: string, from: Date) => runs.filter((r) => r.ruleId === ruleId && r.requestedAt >= from);
  const engine = new AutomationRuleEngine(
    { enabled: async () => rules, extraVarsForRun: (rule: { extraVars: Record<string, unknown> }) => rule.extraVars } as unknown as AutomationRulesService,
    {
      request: async (input: PlaybookRunRequest) => {
        const run = { ...input, id: `run-${runs.length + 1}`, requestedAt: new Date() };
        runs.push(run);
        return run as unknown as PlaybookRunEntity;
      },
    } as unknown as StartPlaybookRun,
    {
      ofRuleSince: async (ruleId: string, from: Date) => since(ruleId, from),
      countOfRuleSince: async (ruleId: string, from: Date) => since(ruleId, from).length,
    } as unknown as PlaybookRunRepository,
    {
      vmOfEvent: async (e: RuleEvent) =>
        (e.vmId ? vms.find((vm) => vm.id === e.vmId) : e.vmNativeId ? vms.find((vm) => vm.nativeId === e.vmNativeId) : null) ?? null,
    } as unknown as AutomationRuleRepository,
  );
  return { engine, runs };
}

const event = (n: number, vmId: string | null, over: Partial<RuleEvent> = {}): RuleEvent => ({
  id: `evt-${n}`,
  providerId: 'p1',
  type: 'vm.started',
  vmId,
  vmNativeId: vmId ? `native-${vmId}` : null,
  ...over,
});

describe('AutomationRuleEngine', () => {
  const vms = [
    { id: 'a', name: 'a', osFamily: 'rhel', nativeId: 'native-a', providerId: 'p1' },
    { id: 'b', name: 'b', osFamily: 'rhel', nativeId: 'native-b', providerId: 'p1' },
    { id: 'w', name: 'w', osFamily: 'windows', nativeId: 'native-w', providerId: 'p1' },
  ] as Partial<VmEntity>[];

  it('fires once per VM for a burst, and again for another VM', async () => {
    const { engine, runs } = setup([rule()], vms);
    const firings = await engine.onEvents([event(1, 'a'), event(2, 'a'), event(3, 'a'), event(4, 'b')]);
    expect(runs.map((r) => [r.targets, r.ruleId, r.eventId, r.trigger])).toEqual([
      [{ vmIds: ['a'] }, 'rule-1', 'evt-1', 'rule'],
      [{ vmIds: ['b'] }, 'rule-1', 'evt-4', 'rule'],
    ]);
    expect(firings.map((f) => f.skipped)).toEqual([null, 'cooldown', 'cooldown', null]);
    // A later batch within the cooldown fires nothing for the same VM.
    await engine.onEvents([event(5, 'a')]);
    expect(runs).toHaveLength(2);
  });

  it('matches type, provider and OS family, and finds a VM named only by native id', async () => {
    const { engine, runs } = setup([rule({ onProviderId: 'p1' })], vms);
    await engine.onEvents([
      event(1, 'w'), // windows
      event(2, 'a', { type: 'vm.stopped' }),
      event(3, 'a', { providerId: 'p2' }),
      event(4, null, { vmNativeId: 'native-b' }),
      event(5, null, { vmNativeId: 'not-inventoried' }),
    ]);
    expect(runs.map((r) => [r.targets, r.eventId])).toEqual([[{ vmIds: ['b'] }, 'evt-4']]);
  });

  it('holds an event storm to the hourly cap of the rule', async () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ id: `vm${i}`, name: `vm${i}`, osFamily: 'rhel', nativeId: `native-vm${i}`, providerId: 'p1' })) as Partial<VmEntity>[];
    const { engine, runs } = setup([rule({ maxRunsPerHour: 3 })], many);
    const firings = await engine.onEvents(many.map((vm, i) => event(i, vm.id!)));
    expect(runs).toHaveLength(3);
    expect(firings.filter((f) => f.skipped === 'hourly cap')).toHaveLength(7);
  });
});
