import { emptyInventoryGraph, type LicenseModel, type OsFamily, type PowerState } from '@hybridforms/core';

import { InventoryPersister } from '../inventory.persister.js';
import { insertProvider, openTestDatabase, TEST_DRIVERS, vmQueriesOn, type TestDatabase } from '../testing/test-database.js';
import { vmRecordFixture } from '../testing/vm-record.fixture.js';
import { VmQueryRepository, type VmFilter, type VmPageRequest } from './vm-query.repository.js';

const VMS = 3000;
const FAMILIES: OsFamily[] = ['rhel', 'rhel', 'rhel', 'windows', 'linux-other', 'unknown'];
const POWER: PowerState[] = ['running', 'running', 'running', 'deallocated', 'stopped'];
const LICENSES: LicenseModel[] = ['payg', 'byos', 'unknown'];
const LOCATIONS = ['westeurope', 'EastUS', 'northeurope', 'uksouth', 'centralus', 'japaneast', 'brazilsouth'];

/** What a plan says, per database: the indexes it reads, whether it reads a table whole, whether it sorts. */
interface Plan {
  indexes: string[];
  fullScan: boolean;
  sorts: boolean;
  /** The conditions the index reads with (SQLite's SEARCH detail, PostgreSQL's Index Cond). */
  indexConditions: string[];
  text: string;
}

/** One filter of `GET /vms`, the index its page must read, and whether that index also gives the order. */
interface Case {
  name: string;
  filter: VmFilter;
  sort?: string;
  /** The index it reads: the filter's, or (a filter most rows pass) the order's, walked until the page is full. */
  index: string | string[];
  ordered: boolean;
}

const CASES: Case[] = [
  { name: 'no filter', filter: {}, index: 'IDX_vms_live_name', ordered: true },
  // The test's provider holds most VMs: walking the name index is then as good a plan.
  { name: 'provider', filter: { provider: 'PROVIDER' }, index: ['IDX_vms_live_provider_name', 'IDX_vms_live_name'], ordered: true },
  { name: 'osFamily', filter: { osFamily: ['rhel'] }, index: 'IDX_vms_live_os_family_name', ordered: true },
  // Several values are several ranges of the index, merged by a sort of the page's candidates.
  { name: 'osFamily (two values)', filter: { osFamily: ['rhel', 'linux-other'] }, index: ['IDX_vms_live_os_family_name', 'IDX_vms_live_name'], ordered: false },
  // `9` is 9 or 9.x: two ranges of the index (or the name index, when most VMs are RHEL 9).
  { name: 'osVersion (major)', filter: { osVersion: '9' }, index: ['IDX_vms_live_os_version_name', 'IDX_vms_live_os_version_bytes', 'IDX_vms_live_name'], ordered: false },
  // PostgreSQL may rather gather one version's rows by bitmap and sort them than read them in order.
  { name: 'osVersion (major.minor)', filter: { osVersion: '9.4' }, index: 'IDX_vms_live_os_version_name', ordered: false },
  { name: 'licenseModel', filter: { licenseModel: ['payg'] }, index: 'IDX_vms_live_license_model_name', ordered: true },
  { name: 'powerState', filter: { powerState: ['deallocated'] }, index: 'IDX_vms_live_power_state_name', ordered: true },
  { name: 'location', filter: { location: 'EastUS' }, index: 'IDX_vms_live_location_name', ordered: true },
  // Substring matches: no B-tree finds them, so the page walks the order's index and stops when full.
  { name: 'tag', filter: { tags: ['env=prod'] }, index: 'IDX_vms_live_name', ordered: true },
  // q is three substring matches (name, native id, addresses): SQLite walks the name index;
  // PostgreSQL, guessing few matches, reads the live rows by the archived_at index and sorts them.
  { name: 'q', filter: { q: 'vm-01' }, index: ['IDX_vms_live_name', 'IDX_vms_archived_at'], ordered: false },
  { name: 'sort -updatedAt', filter: {}, sort: '-updatedAt', index: 'IDX_vms_live_updated', ordered: true },
  { name: 'sort createdAt', filter: {}, sort: 'createdAt', index: 'IDX_vms_live_created', ordered: true },
  { name: 'sort powerState', filter: {}, sort: 'powerState', index: 'IDX_vms_live_power_state', ordered: true },
  { name: 'sort -osFamily', filter: {}, sort: '-osFamily', index: 'IDX_vms_live_os_family', ordered: true },
];

describe.each(TEST_DRIVERS)('GET /vms query plans on %s', (driver) => {
  let db: TestDatabase;
  let query: VmQueryRepository;
  let providerId: string;

  beforeAll(async () => {
    db = await openTestDatabase(driver);
    query = vmQueriesOn(db.dataSource);
    providerId = (await insertProvider(db.dataSource)).id;
    // A second provider, so that the provider filter selects part of the table.
    const other = (await insertProvider(db.dataSource)).id;
    const persister = new InventoryPersister(db.dataSource);
    for (const [owner, from, count] of [[providerId, 0, VMS], [other, VMS, VMS / 3]] as const) {
      const vms = Array.from({ length: count }, (_, k) => {
        // Stored in no particular order of name (as a refresh stores them), not in the list's order.
        const n = from + ((k * 7919) % count);
        const osFamily = FAMILIES[n % FAMILIES.length];
        return vmRecordFixture(n, {
          osFamily,
          osVersion: osFamily === 'rhel' ? ['8.10', '9.4', '9.6', '9'][n % 4] : osFamily === 'linux-other' ? '22.04' : null,
          powerState: POWER[n % POWER.length],
          rhelLicenseModel: osFamily === 'rhel' ? LICENSES[n % LICENSES.length] : 'unknown',
          location: LOCATIONS[n % LOCATIONS.length],
          tags: n % 10 === 0 ? { env: 'prod', owner: 'team-sap' } : { env: 'dev' },
        });
      });
      await persister.save(owner, null, { ...emptyInventoryGraph(), vms }, { kind: 'full' });
    }
    // History: archived rows, which no live page reads.
    await db.dataSource.query(`UPDATE "vms" SET "archived_at" = "updated_at" WHERE "name" LIKE '%7'`);
    await db.dataSource.query('ANALYZE');
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  async function explain(sql: string, params: unknown[]): Promise<Plan> {
    if (driver === 'sqlite') {
      const rows = (await db.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params)) as { detail: string }[];
      const details = rows.map((row) => row.detail);
      return {
        indexes: details.flatMap((d) => /USING (?:COVERING )?INDEX (\w+)/.exec(d)?.[1] ?? []),
        fullScan: details.some((d) => /^SCAN vm$/.test(d)),
        sorts: details.some((d) => /TEMP B-TREE FOR (?:RIGHT PART OF )?ORDER BY/.test(d)),
        indexConditions: details.flatMap((d) => /^SEARCH vm USING (?:COVERING )?INDEX \w+ \((.*)\)$/.exec(d)?.[1] ?? []),
        text: details.join('\n'),
      };
    }
    // A table of a few thousand rows is one a sequential scan could read as fast; forbidding it
    // asks the planner whether an index serves the query at all.
    const runner = db.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query('SET LOCAL enable_seqscan = off');
      const [row] = (await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)) as { 'QUERY PLAN': unknown }[];
      await runner.rollbackTransaction();
      const nodes: Record<string, unknown>[] = [];
      const walk = (node: Record<string, unknown>) => {
        nodes.push(node);
        for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
      };
      const plan = row['QUERY PLAN'] as { Plan: Record<string, unknown> }[];
      walk(plan[0].Plan);
      return {
        indexes: nodes.flatMap((n) => (typeof n['Index Name'] === 'string' ? [n['Index Name']] : [])),
        fullScan: nodes.some((n) => n['Node Type'] === 'Seq Scan'),
        sorts: nodes.some((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort'),
        indexConditions: nodes.flatMap((n) => (typeof n['Index Cond'] === 'string' ? [n['Index Cond']] : [])),
        text: JSON.stringify(plan),
      };
    } finally {
      await runner.release();
    }
  }

  /** The page after the first one: the cursor the first page handed out. */
  async function secondPage(filter: VmFilter, page: VmPageRequest): Promise<VmPageRequest> {
    const first = await query.list(filter, page);
    expect(first.nextCursor).not.toBeNull();
    return { ...page, cursor: first.nextCursor! };
  }

  it.each(CASES)('reads an index for a $name page, first and next, with no OFFSET and no COUNT', async ({ filter: given, sort, index, ordered }) => {
    const filter = given.provider ? { ...given, provider: providerId } : given;
    const first: VmPageRequest = { limit: 100, sort };
    for (const page of [first, await secondPage(filter, { limit: 10, sort })]) {
      const [sql, params] = query.listQuery(filter, page);
      expect(sql).not.toMatch(/\bOFFSET\b|\bCOUNT\s*\(/i);
      expect(sql).toMatch(/ LIMIT \d+$/);
      const plan = await explain(sql, params);
      const allowed = typeof index === 'string' ? [index] : index;
      expect({ page: page.cursor ? 'next' : 'first', readsAllowedIndex: plan.indexes.some((name) => allowed.includes(name)), fullScan: plan.fullScan, plan: plan.text }).toMatchObject({
        page: page.cursor ? 'next' : 'first',
        readsAllowedIndex: true,
        fullScan: false,
      });
      if (ordered) expect({ sorts: plan.sorts, plan: plan.text }).toMatchObject({ sorts: false });
      if (page.cursor) {
        // The next page is a keyset range: the (sort, id) pair after the cursor's, as one row-value
        // comparison the index reads from, not a filter over what came before.
        expect(sql).toMatch(/\("vm"\."\w+", "vm"\."id"\) [<>] \((\?|\$\d+), (\?|\$\d+)\)/);
        if (ordered) expect({ conditions: plan.indexConditions, plan: plan.text }).toMatchObject({ conditions: [expect.stringMatching(driver === 'sqlite' ? /\(\w+,id\)[<>]\(\?,\?\)/ : /ROW\(\(?\w+\)?(::\w+)?, \(?id\)?(::\w+)?\) [<>] ROW\(/)] });
      }
    }
  });

  it('pages through a filter by keyset to the same VMs a single page gives', async () => {
    const filter: VmFilter = { provider: providerId, osFamily: ['rhel'], powerState: ['running'] };
    const all = await query.list(filter, { limit: 1000 });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await query.list(filter, { limit: 97, cursor });
      seen.push(...page.items.map((vm) => vm.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.items.map((vm) => vm.id));
    expect(new Set(seen).size).toBe(seen.length);
  });
});
