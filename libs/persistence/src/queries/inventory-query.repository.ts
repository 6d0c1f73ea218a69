import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository, type ObjectLiteral } from 'typeorm';
import type { OsFamily } from '@hybridforms/core';
import { HostEntity, ImageEntity, NetworkEntity, RefreshEntity, VmEntity } from '../entities/index.js';
import type { Page } from './cursor.js';
import { applyArchived, applySearch, paginate, parseSort, type ArchivedFilter } from './inventory-query.js';

export interface SimpleFilter {
  provider?: string;
  q?: string;
  archived?: ArchivedFilter;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
  sort?: string;
}

/** Lists of the smaller collections (hosts, images, networks) and of refreshes. */
@Injectable()
export class InventoryQueryRepository {
  constructor(
    @InjectRepository(HostEntity) private readonly hosts: Repository<HostEntity>,
    @InjectRepository(ImageEntity) private readonly images: Repository<ImageEntity>,
    @InjectRepository(NetworkEntity) private readonly networks: Repository<NetworkEntity>,
    @InjectRepository(RefreshEntity) private readonly refreshes: Repository<RefreshEntity>,
  ) {}

  listHosts(filter: SimpleFilter, page: PageRequest): Promise<Page<HostEntity>> {
    return this.listNamed(this.hosts, 'host', filter, page);
  }

  listImages(filter: SimpleFilter & { osFamily?: string[] }, page: PageRequest): Promise<Page<ImageEntity>> {
    return this.listNamed(this.images, 'image', filter, page, (qb) => {
      if (filter.osFamily?.length) qb.andWhere('image.osFamily IN (:...osFamily)', { osFamily: filter.osFamily });
    });
  }

  listNetworks(filter: SimpleFilter, page: PageRequest): Promise<Page<NetworkEntity>> {
    return this.listNamed(this.networks, 'network', filter, page);
  }

  findHost(id: string): Promise<HostEntity | null> {
    return this.hosts.findOneBy({ id });
  }

  /**
   * A provider's custom images still present (what the customer uploaded: Cloud Access gold images
   * among them), each with the OS most of the live VMs made from it report: an image id says
   * nothing of its OS, the guests booted from it do.
   */
  async customImagesOf(providerId: string): Promise<Array<{ image: ImageEntity; guests: { osFamily: OsFamily; osVersion: string | null; vms: number } | null }>> {
    const images = await this.images.find({ where: { providerId, kind: 'custom', archivedAt: IsNull() }, order: { name: 'ASC' } });
    if (images.length === 0) return [];
    const rows = await this.images.manager
      .createQueryBuilder(VmEntity, 'vm')
      .select('vm.imageId', 'imageId')
      .addSelect('vm.osFamily', 'osFamily')
      .addSelect('vm.osVersion', 'osVersion')
      .addSelect('COUNT(*)', 'vms')
      .where('vm.imageId IN (:...ids)', { ids: images.map((image) => image.id) })
      .andWhere('vm.archivedAt IS NULL')
      .andWhere("vm.osFamily <> 'unknown'")
      .groupBy('vm.imageId')
      .addGroupBy('vm.osFamily')
      .addGroupBy('vm.osVersion')
      .getRawMany<{ imageId: string; osFamily: OsFamily; osVersion: string | null; vms: string | number }>();
    const best = new Map<string, { osFamily: OsFamily; osVersion: string | null; vms: number }>();
    for (const row of rows) {
      const vms = Number(row.vms);
      const current = best.get(row.imageId);
      if (!current || vms > current.vms) best.set(row.imageId, { osFamily: row.osFamily, osVersion: row.osVersion, vms });
    }
    return images.map((image) => ({ image, guests: best.get(image.id) ?? null }));
  }

  findImage(id: string): Promise<ImageEntity | null> {
    return this.images.findOneBy({ id });
  }

  listRefreshes(filter: { provider?: string; status?: string[] }, page: PageRequest): Promise<Page<RefreshEntity>> {
    const qb = this.refreshes.createQueryBuilder('refresh');
    if (filter.provider) qb.andWhere('refresh.providerId = :provider', { provider: filter.provider });
    if (filter.status?.length) qb.andWhere('refresh.status IN (:...status)', { status: filter.status });
    return paginate(qb, 'refresh', parseSort(page.sort, ['requestedAt'], '-requestedAt'), page.limit, page.cursor);
  }

  private listNamed<T extends ObjectLiteral & { id: string }>(
    repo: Repository<T>,
    alias: string,
    filter: SimpleFilter,
    page: PageRequest,
    extra?: (qb: ReturnType<Repository<T>['createQueryBuilder']>) => void,
  ): Promise<Page<T>> {
    const qb = repo.createQueryBuilder(alias);
    if (filter.provider) qb.andWhere(`${alias}.providerId = :provider`, { provider: filter.provider });
    applySearch(qb, [`${alias}.name`, `${alias}.nativeId`], filter.q);
    extra?.(qb);
    applyArchived(qb, alias, filter.archived ?? 'false');
    return paginate(qb, alias, parseSort(page.sort, ['name', 'createdAt'], 'name'), page.limit, page.cursor);
  }
}
