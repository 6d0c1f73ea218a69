import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { QueryFailedError, type DataSource } from 'typeorm';
import { HostEntity, OperationEntity, ProviderEntity, RefreshEntity, VmEntity, type RefreshStatus } from '../entities/index.js';
import { SQLITE_FILE_NAME } from '../data-source.factory.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, type TestDatabase } from '../testing/test-database.js';

const TELEMETRY_TABLES = [
  'events',
  'event_checkpoints',
  'refresh_targets',
  'metric_samples',
  'metric_rollups_hourly',
  'metric_rollups_daily',
  'metric_rollup_pending',
  'metric_captures',
];
const AUTOMATION_TABLES = ['machine_credentials', 'playbook_runs', 'playbook_run_events'];
const RULE_TABLES = ['automation_rules'];
const SECURITY_TABLES = ['api_tokens', 'audit_log'];
const OPERATION_TABLES = ['operations', 'vm_retirements'];
const PROVISIONING_TABLES = ['provision_requests'];
const TABLES = ['disks', 'hosts', 'images', 'networks', 'nics', 'providers', 'refreshes', 'resource_groups', 'vm_changes', 'vms', ...TELEMETRY_TABLES, ...AUTOMATION_TABLES, ...RULE_TABLES, ...SECURITY_TABLES, ...OPERATION_TABLES, ...PROVISIONING_TABLES];

describe.each(TEST_DRIVERS)('migrations on %s', (driver) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(driver, { migrate: false });
  });
  afterAll(async () => {
    await db?.close();
  });

  it('run up on an empty database and create every table and index', async () => {
    const ran = await db.dataSource.runMigrations();
    expect(ran.map((m) => m.name)).toEqual(['InitialSchema1795600000000', 'VmDetails1795600000001', 'Telemetry1795600000002', 'Automation1795600000003', 'AutomationRules1795600000004', 'Security1795600000005', 'Operations1795600000006', 'Provisioning1795600000007', 'ProvisionTasks1795600000008', 'VmListIndexes1795600000009']);
    expect(await db.dataSource.showMigrations()).toBe(false);

    expect(await tableNames(db)).toEqual(expect.arrayContaining(TABLES));
    const indexes = await indexNames(db);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'UQ_refreshes_active_provider',
        'IDX_vms_os_family',
        'IDX_vms_power_state',
        'IDX_vms_location',
        'IDX_vms_archived_at',
        'IDX_vms_name',
        'IDX_vm_changes_vm_changed',
        'IDX_events_occurred',
        'IDX_events_provider_vm',
        'IDX_metric_samples_ts',
        'IDX_metric_rollups_hourly_bucket',
        'IDX_audit_log_at',
        'UQ_operations_active_vm',
        'IDX_operations_vm',
        'IDX_provision_requests_status',
        'IDX_provision_requests_token',
        'IDX_vms_live_name',
        'IDX_vms_live_os_family_name',
        'IDX_vms_live_location_name',
      ]),
    );
    if (driver === 'sqlite') expect(existsSync(join(db.location, SQLITE_FILE_NAME))).toBe(true);
  });

  it('keeps the SQLite file in WAL mode with foreign keys on', async () => {
    if (driver !== 'sqlite') return;
    const [journal] = await db.dataSource.query('PRAGMA journal_mode');
    const [fk] = await db.dataSource.query('PRAGMA foreign_keys');
    expect(journal.journal_mode).toBe('wal');
    expect(fk.foreign_keys).toBe(1);
  });

  it('allows one active refresh per provider, any number of finished ones', async () => {
    const provider = await insertProvider(db.dataSource);
    const other = await insertProvider(db.dataSource);
    await insertRefresh(db.dataSource, provider.id, 'completed');
    await insertRefresh(db.dataSource, provider.id, 'failed');
    await insertRefresh(db.dataSource, provider.id, 'queued');
    await insertRefresh(db.dataSource, other.id, 'running');

    await expect(insertRefresh(db.dataSource, provider.id, 'running')).rejects.toThrow(QueryFailedError);
    await expect(insertRefresh(db.dataSource, provider.id, 'queued')).rejects.toThrow(QueryFailedError);
    await insertRefresh(db.dataSource, provider.id, 'partial');
    expect(await db.dataSource.getRepository(RefreshEntity).countBy({ providerId: provider.id })).toBe(4);
  });

  it('cascades a provider delete to its inventory and nulls references of a deleted host', async () => {
    const provider = await insertProvider(db.dataSource);
    const now = new Date();
    const row = { providerId: provider.id, archivedAt: null, createdAt: now, updatedAt: now };
    const host: HostEntity = {
      ...row,
      id: randomUUID(),
      nativeId: 'h1',
      name: 'h1',
      kind: 'hyperv',
      osName: null,
      osVersion: null,
      cpuCount: null,
      memoryMb: null,
      hypervisorVersion: null,
      location: null,
    };
    const vm = (id: string, hostId: string | null): VmEntity => ({
      ...row,
      id,
      nativeId: 'v1',
      uid: null,
      name: 'v1',
      hostId,
      imageId: null,
      location: null,
      resourceGroup: null,
      subscriptionId: null,
      size: null,
      cpuCount: null,
      memoryMb: null,
      powerState: 'running',
      osFamily: 'unknown',
      osName: null,
      osVersion: null,
      osSource: null,
      licenseModel: null,
      licenseType: null,
      guestAgentVersion: null,
      tags: {},
      details: {},
      ipAddresses: [],
      createdAtProvider: null,
    });
    const vmId = randomUUID();
    await db.dataSource.getRepository(HostEntity).insert(host);
    await db.dataSource.getRepository(VmEntity).insert(vm(vmId, host.id));
    // Same (provider, native id): the unique index refuses a duplicate.
    await expect(db.dataSource.getRepository(VmEntity).insert(vm(randomUUID(), null))).rejects.toThrow(QueryFailedError);

    await db.dataSource.getRepository(HostEntity).delete({ id: host.id });
    expect((await db.dataSource.getRepository(VmEntity).findOneByOrFail({ id: vmId })).hostId).toBeNull();

    await db.dataSource.getRepository(ProviderEntity).delete({ id: provider.id });
    expect(await db.dataSource.getRepository(VmEntity).countBy({ providerId: provider.id })).toBe(0);
  });

  it('keeps one active operation per VM after the operations table was rebuilt, and lets provision tasks without a VM share it', async () => {
    const provider = await insertProvider(db.dataSource);
    const now = new Date();
    const vmId = randomUUID();
    await db.dataSource.getRepository(VmEntity).insert({
      id: vmId, providerId: provider.id, nativeId: 'op-vm', uid: null, name: 'op-vm', hostId: null, imageId: null, location: null, resourceGroup: null,
      subscriptionId: null, size: null, cpuCount: null, memoryMb: null, powerState: 'running', osFamily: 'unknown', osName: null, osVersion: null,
      osSource: null, licenseModel: null, licenseType: null, guestAgentVersion: null, tags: {}, details: {}, ipAddresses: [], createdAtProvider: null,
      archivedAt: null, createdAt: now, updatedAt: now,
    });
    const operation = (vm: string | null, status: OperationEntity['status']): OperationEntity => ({
      id: randomUUID(), kind: vm ? 'vm-action' : 'vm-provision', action: 'start', vmId: vm, providerId: provider.id, vmName: 'op-vm', status,
      options: {}, requestedBy: 'test', requestedByTokenId: null, batchId: null, provisionRequestId: vm ? null : randomUUID(), steps: [],
      errorCode: null, error: null, requestedAt: now, startedAt: null, finishedAt: null, owner: null, confirmedByRefreshId: null,
    });
    const operations = db.dataSource.getRepository(OperationEntity);
    await operations.save(operation(vmId, 'running'));
    await expect(operations.save(operation(vmId, 'queued'))).rejects.toThrow(QueryFailedError);
    await operations.save(operation(vmId, 'succeeded'));
    await operations.save(operation(null, 'running'));
    await operations.save(operation(null, 'running'));
    expect(await operations.countBy({ providerId: provider.id })).toBe(4);
  });

  it('runs down cleanly', async () => {
    const columnsOf = async (table: string) => (await db.dataSource.createQueryRunner().getTable(table))?.columns.map((c) => c.name) ?? [];
    const vmColumns = () => columnsOf('vms');
    expect(await tableNames(db)).toEqual(expect.arrayContaining([...OPERATION_TABLES, ...PROVISIONING_TABLES]));
    const vmListIndexes = async () => (await indexNames(db)).filter((name) => name.startsWith('IDX_vms_live_'));
    expect(await vmListIndexes()).toHaveLength(db.driver === 'postgres' ? 12 : 11);
    await db.dataSource.undoLastMigration();
    expect(await vmListIndexes()).toEqual([]);
    expect(await indexNames(db)).toContain('IDX_vms_name');
    expect(await columnsOf('operations')).toContain('provision_request_id');
    await db.dataSource.undoLastMigration();
    expect(await columnsOf('operations')).not.toContain('provision_request_id');
    expect(await tableNames(db)).toEqual(expect.arrayContaining(PROVISIONING_TABLES));
    await db.dataSource.undoLastMigration();
    expect((await tableNames(db)).filter((table) => PROVISIONING_TABLES.includes(table))).toEqual([]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(OPERATION_TABLES));
    expect(await columnsOf('vm_changes')).toContain('operation_id');
    await db.dataSource.undoLastMigration();
    expect((await tableNames(db)).filter((table) => OPERATION_TABLES.includes(table))).toEqual([]);
    expect(await columnsOf('vm_changes')).not.toContain('operation_id');
    expect(await columnsOf('refresh_targets')).not.toContain('operation_id');
    expect(await tableNames(db)).toEqual(expect.arrayContaining(SECURITY_TABLES));
    await db.dataSource.undoLastMigration();
    expect((await tableNames(db)).filter((table) => SECURITY_TABLES.includes(table))).toEqual([]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(RULE_TABLES));
    await db.dataSource.undoLastMigration();
    expect((await tableNames(db)).filter((table) => RULE_TABLES.includes(table))).toEqual([]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(AUTOMATION_TABLES));
    await db.dataSource.undoLastMigration();
    expect((await tableNames(db)).filter((table) => AUTOMATION_TABLES.includes(table))).toEqual([]);
    expect(await tableNames(db)).toEqual(expect.arrayContaining(TELEMETRY_TABLES));
    await db.dataSource.undoLastMigration();
    const left = await tableNames(db);
    expect(TELEMETRY_TABLES.filter((table) => left.includes(table))).toEqual([]);
    expect(await vmColumns()).toContain('details');
    await db.dataSource.undoLastMigration();
    expect(await vmColumns()).not.toContain('details');
    await db.dataSource.undoLastMigration();
    expect(await tableNames(db)).not.toEqual(expect.arrayContaining(['vms']));
  });
});

async function insertRefresh(dataSource: DataSource, providerId: string, status: RefreshStatus): Promise<void> {
  const refresh: RefreshEntity = {
    id: randomUUID(),
    providerId,
    kind: 'full',
    targets: null,
    trigger: 'api',
    status,
    progress: {},
    errors: [],
    requestedAt: new Date(),
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    owner: null,
  };
  await dataSource.getRepository(RefreshEntity).insert(refresh);
}

async function tableNames(db: TestDatabase): Promise<string[]> {
  const rows: { name: string }[] =
    db.driver === 'sqlite'
      ? await db.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
      : await db.dataSource.query(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1`, [db.location]);
  return rows.map((row) => row.name);
}

async function indexNames(db: TestDatabase): Promise<string[]> {
  const rows: { name: string }[] =
    db.driver === 'sqlite'
      ? await db.dataSource.query(`SELECT name FROM sqlite_master WHERE type = 'index'`)
      : await db.dataSource.query(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1`, [db.location]);
  return rows.map((row) => row.name);
}
