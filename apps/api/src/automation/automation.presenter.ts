import { maskSensitiveFields } from '@hybridforms/core';
import type { MachineCredentialEntity, PlaybookRunEntity, PlaybookRunEventEntity } from '@hybridforms/persistence';

/** Never the key. */
export function presentCredential(credential: MachineCredentialEntity) {
  return {
    id: credential.id,
    name: credential.name,
    username: credential.username,
    knownHosts: credential.knownHosts,
    createdAt: credential.createdAt,
    updatedAt: credential.updatedAt,
  };
}

export function presentRun(run: PlaybookRunEntity) {
  return {
    id: run.id,
    playbook: run.playbook,
    status: run.status,
    credentialId: run.credentialId,
    targets: run.targets,
    hosts: run.hosts.map((host) => ({ ...host, summary: run.hostSummary[host.inventoryName] ?? null })),
    skipped: run.skipped,
    // Secret-like names are stored sealed and shown as ***.
    extraVars: maskSensitiveFields(run.extraVars),
    limit: run.limit,
    timeoutSeconds: run.timeoutSeconds,
    trigger: run.trigger,
    ruleId: run.ruleId,
    eventId: run.eventId,
    rc: run.rc,
    reason: run.reason,
    eventCount: run.eventCount,
    requestedAt: run.requestedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    durationMs: run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
  };
}

export function presentRunEvent(event: PlaybookRunEventEntity) {
  return {
    counter: event.counter,
    uuid: event.uuid,
    event: event.event,
    created: event.created,
    host: event.host,
    task: event.task,
    stdout: event.stdout,
    data: event.data,
  };
}
