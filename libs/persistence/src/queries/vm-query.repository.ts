import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Brackets, In, IsNull, Repository, type SelectQueryBuilder } from 'typeorm';
import type { LicenseModel, OsFamily, PowerState } from '@hybridforms/core';
import { DiskEntity, HostEntity, ImageEntity, NicEntity, VmChangeEntity, VmEntity } from '../entities/index.js';
import type { Page } from './cursor.js';
import { applyArchived, applyKeyset, applySearch, likeEscape, paginate, parseSort, type ArchivedFilter } from './inventory-query.js';
import { VmListRowMapper, type VmListRow } from './vm-list-row.js';

/** The VM filters of `GET /vms`, reused by every feature that selects VMs (playbook targets…). */
export interface VmFilter {
  provider?: string;
  osFamily?: OsFamily[];
  /** `9` matches 9 and 9.x; `9.4` matches exactly. */
  osVersion?: string;
  licenseModel?: LicenseModel[];
  powerState?: PowerState[];
  location?: string;
  resourceGroup?: string;
  size?: string;
  host?: string;
  image?: string;
  /** `key` (present) or `key=value`; all must match. */
  tags?: string[];
  /** Substring of the name, native id or an IP address. */
  q?: string;
  archived?: ArchivedFilter;
}

export const VM_SORTS = ['name', 'createdAt', 'updatedAt', 'powerState', 'osFamily'] as const;

/** The few members of a better-sqlite3 connection and statement the list uses. */
interface SqliteStatement {
  raw(toggle: boolean): SqliteStatement;
  all(...params: unknown[]): unknown[];
}
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
}

const RAW_STATEMENT_CACHE_SIZE = 200;

export interface VmPageRequest {
  limit: number;
  cursor?: string;
  sort?: string;
}

export interface VmDetail {
  vm: VmEntity;
  nics: NicEntity[];
  disks: DiskEntity[];
  host: HostEntity | null;
  image: ImageEntity | null;
}

@Injectable()
export class VmQueryRepository {
  constructor(
    @InjectRepository(VmEntity) private readonly vms: Repository<VmEntity>,
    @InjectRepository(NicEntity) private readonly nics: Repository<NicEntity>,
    @InjectRepository(DiskEntity) private readonly disks: Repository<DiskEntity>,
    @InjectRepository(HostEntity) private readonly hosts: Repository<HostEntity>,
    @InjectRepository(ImageEntity) private readonly images: Repository<ImageEntity>,
    @InjectRepository(VmChangeEntity) private readonly changes: Repository<VmChangeEntity>,
  ) {}

  /**
   * A page of VMs as `GET /vms` lists them: every column but `details` (provider facts the list
   * does not show, the largest JSON of the row: parsing it for each row was most of a page's cost),
   * read as raw rows each column aliased by its property, mapped without entity hydration.
   */
  list(filter: VmFilter, page: VmPageRequest): Promise<Page<VmListRow>> {
    const mapper = this.listMapper();
    const qb = this.listBuilder(filter);
    return paginate(qb, 'vm', parseSort(page.sort, VM_SORTS, 'name'), page.limit, page.cursor, async (q) => {
      const sqlite = this.sqliteConnection();
      if (!sqlite) return (await q.getRawMany<Record<string, unknown>>()).map((raw) => mapper.map(raw));
      // SQLite: the page's statement run in raw mode, rows as arrays (better-sqlite3 builds an
      // object per row at twice the cost), on the one connection TypeORM itself uses.
      const [sql, params] = q.getQueryAndParameters();
      return (this.rawStatement(sqlite, sql).all(...params.map((p) => (typeof p === 'boolean' ? Number(p) : p))) as unknown[][]).map((values) => mapper.mapValues(values));
    });
  }

  private sqliteConnection(): SqliteConnection | null {
    const driver = this.vms.manager.connection.driver as { options: { type: string }; databaseConnection?: SqliteConnection };
    return driver.options.type === 'better-sqlite3' ? (driver.databaseConnection ?? null) : null;
  }

  // Prepared once per SQL text (a filter's shape) and connection; a bound keeps odd shapes from piling up.
  private readonly rawStatements = new WeakMap<SqliteConnection, Map<string, SqliteStatement>>();

  private rawStatement(connection: SqliteConnection, sql: string): SqliteStatement {
    let statements = this.rawStatements.get(connection);
    if (!statements) this.rawStatements.set(connection, (statements = new Map()));
    let statement = statements.get(sql);
    if (!statement) {
      statement = connection.prepare(sql).raw(true);
      statements.set(sql, statement);
      if (statements.size > RAW_STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value!);
    }
    return statement;
  }

  /** The SQL and parameters `list` sends for a filter and page (to read its plan). */
  listQuery(filter: VmFilter, page: VmPageRequest): [string, unknown[]] {
    const qb = this.listBuilder(filter);
    applyKeyset(qb, 'vm', parseSort(page.sort, VM_SORTS, 'name'), page.limit, page.cursor);
    return qb.getQueryAndParameters() as [string, unknown[]];
  }

  /** The list's columns, selected as raw rows, and the filter. */
  private listBuilder(filter: VmFilter): SelectQueryBuilder<VmEntity> {
    const qb = this.listMapper().selectOn(this.vms.createQueryBuilder('vm'));
    this.applyFilter(qb, filter);
    return qb;
  }

  private mapper: VmListRowMapper | null = null;

  private listMapper(): VmListRowMapper {
    this.mapper ??= new VmListRowMapper(this.vms.metadata, this.vms.manager.connection, 'vm');
    return this.mapper;
  }

  /** How many VMs match a filter (the size of a list that is read page by page). */
  count(filter: VmFilter): Promise<number> {
    const qb = this.vms.createQueryBuilder('vm');
    this.applyFilter(qb, filter);
    return qb.getCount();
  }

  /** The native ids of these VMs of the provider, by our id; VMs of another provider or unknown are left out. */
  async nativeIdsOf(providerId: string, vmIds: string[]): Promise<Map<string, string>> {
    const rows = await this.vms.find({ select: { id: true, nativeId: true }, where: { providerId, id: In(vmIds) } });
    return new Map(rows.map((row) => [row.id, row.nativeId]));
  }

  /** Every VM matching a filter (no paging), for selections. */
  async select(filter: VmFilter): Promise<VmEntity[]> {
    const qb = this.vms.createQueryBuilder('vm');
    this.applyFilter(qb, filter);
    return qb.orderBy('vm.name', 'ASC').addOrderBy('vm.id', 'ASC').getMany();
  }

  /** A query of the ids of the VMs matching a filter, to use as a subquery (fleet metrics…). */
  idQuery(filter: VmFilter): SelectQueryBuilder<VmEntity> {
    const qb = this.vms.createQueryBuilder('vm').select('vm.id');
    this.applyFilter(qb, filter);
    return qb;
  }

  async detail(id: string): Promise<VmDetail | null> {
    const vm = await this.vms.findOneBy({ id });
    if (!vm) return null;
    const [nics, disks, host, image] = await Promise.all([
      this.nics.find({ where: { vmId: id }, order: { primary: 'DESC', name: 'ASC' } }),
      this.disks.find({ where: { vmId: id }, order: { role: 'DESC', name: 'ASC' } }),
      vm.hostId ? this.hosts.findOneBy({ id: vm.hostId }) : null,
      vm.imageId ? this.images.findOneBy({ id: vm.imageId }) : null,
    ]);
    return { vm, nics, disks, host, image };
  }

  changesOf(vmId: string, page: { limit: number; cursor?: string; field?: string }): Promise<Page<VmChangeEntity>> {
    const qb = this.changes.createQueryBuilder('change').where('change.vmId = :vmId', { vmId });
    if (page.field) qb.andWhere('change.field = :field', { field: page.field });
    return paginate(qb, 'change', { property: 'changedAt', descending: true }, page.limit, page.cursor);
  }

  /** The VMs with these ids (any that do not exist are left out). */
  async byIds(ids: string[]): Promise<VmEntity[]> {
    const rows: VmEntity[] = [];
    for (let i = 0; i < ids.length; i += 500) rows.push(...(await this.vms.findBy({ id: In(ids.slice(i, i + 500)) })));
    return rows;
  }

  /** Which of these names live (not archived) VMs of the provider already have, compared case-insensitively as both clouds do. */
  async liveNamesAmong(providerId: string, names: string[]): Promise<string[]> {
    const found: string[] = [];
    const lower = [...new Set(names.map((name) => name.toLowerCase()))];
    for (let i = 0; i < lower.length; i += 500) {
      const rows = await this.vms
        .createQueryBuilder('vm')
        .select('vm.name', 'name')
        .where('vm.providerId = :providerId', { providerId })
        .andWhere('vm.archivedAt IS NULL')
        .andWhere('LOWER(vm.name) IN (:...names)', { names: lower.slice(i, i + 500) })
        .getRawMany<{ name: string }>();
      found.push(...rows.map((row) => row.name));
    }
    return found;
  }

  /** The live (not archived) VM of the provider with this native id. */
  liveByNativeId(providerId: string, nativeId: string): Promise<VmEntity | null> {
    return this.vms.findOneBy({ providerId, nativeId, archivedAt: IsNull() });
  }

  async exists(ids: string[]): Promise<string[]> {
    const rows = await this.vms.find({ select: { id: true }, where: { id: In(ids) } });
    return rows.map((row) => row.id);
  }

  private applyFilter(qb: ReturnType<Repository<VmEntity>['createQueryBuilder']>, filter: VmFilter): void {
    if (filter.provider) qb.andWhere('vm.providerId = :provider', { provider: filter.provider });
    if (filter.osFamily?.length) qb.andWhere('vm.osFamily IN (:...osFamily)', { osFamily: filter.osFamily });
    if (filter.licenseModel?.length) qb.andWhere('vm.licenseModel IN (:...licenseModel)', { licenseModel: filter.licenseModel });
    if (filter.powerState?.length) qb.andWhere('vm.powerState IN (:...powerState)', { powerState: filter.powerState });
    if (filter.osVersion) {
      if (filter.osVersion.includes('.')) qb.andWhere('vm.osVersion = :osVersion', { osVersion: filter.osVersion });
      else if (/^\d+$/.test(filter.osVersion)) {
        // `9` or `9.x`: `9.x` as the range ['9.', '9/') ('/' follows '.') in byte order, which an
        // index serves (LIKE '9.%' it cannot); PostgreSQL compares in byte order only when told.
        const bytes = qb.connection.options.type === 'postgres' ? 'vm.osVersion COLLATE "C"' : 'vm.osVersion';
        qb.andWhere(
          new Brackets((w) =>
            w.where('vm.osVersion = :osVersion', { osVersion: filter.osVersion }).orWhere(`(${bytes} >= :osVersionFrom AND ${bytes} < :osVersionTo)`, {
              osVersionFrom: `${filter.osVersion}.`,
              osVersionTo: `${filter.osVersion}/`,
            }),
          ),
        );
      } else {
        qb.andWhere(
          new Brackets((w) =>
            w.where('vm.osVersion = :osVersion', { osVersion: filter.osVersion }).orWhere("vm.osVersion LIKE :osVersionPrefix ESCAPE '\\'", {
              osVersionPrefix: `${likeEscape(filter.osVersion!)}.%`,
            }),
          ),
        );
      }
    }
    if (filter.location) qb.andWhere('LOWER(vm.location) = :location', { location: filter.location.toLowerCase() });
    if (filter.resourceGroup) qb.andWhere('LOWER(vm.resourceGroup) = :resourceGroup', { resourceGroup: filter.resourceGroup.toLowerCase() });
    if (filter.size) qb.andWhere('LOWER(vm.size) = :size', { size: filter.size.toLowerCase() });
    if (filter.host) qb.andWhere('vm.hostId = :host', { host: filter.host });
    if (filter.image) qb.andWhere('vm.imageId = :image', { image: filter.image });
    (filter.tags ?? []).forEach((tag, i) => {
      // Tags are stored as a JSON object; match the serialized "key":"value" (or "key":) pair.
      const eq = tag.indexOf('=');
      const pattern = eq < 0 ? `${JSON.stringify(tag)}:` : `${JSON.stringify(tag.slice(0, eq))}:${JSON.stringify(tag.slice(eq + 1))}`;
      qb.andWhere(`vm.tags LIKE :tag${i} ESCAPE '\\'`, { [`tag${i}`]: `%${likeEscape(pattern)}%` });
    });
    applySearch(qb, ['vm.name', 'vm.nativeId', 'vm.ipAddresses'], filter.q);
    applyArchived(qb, 'vm', filter.archived ?? 'false');
  }
}
