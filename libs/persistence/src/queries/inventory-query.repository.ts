import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository, type ObjectLiteral } from 'typeorm';
import { HostEntity, ImageEntity, NetworkEntity, RefreshEntity } from '../entities/index.js';
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

  /** A provider's custom images still present (what the customer uploaded: Cloud Access gold images among them). */
  customImagesOf(providerId: string): Promise<ImageEntity[]> {
    return this.images.find({ where: { providerId, kind: 'custom', archivedAt: IsNull() }, order: { name: 'ASC' } });
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
