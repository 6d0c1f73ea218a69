import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole schema, one SQL text for SQLite and PostgreSQL. Only the timestamp type differs
 * (`datetime` vs `timestamptz`); JSON lives in text columns (TypeORM simple-json) on both.
 */
export class InitialSchema1795600000000 implements MigrationInterface {
  name = 'InitialSchema1795600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    // Columns every inventory collection shares; (provider_id, native_id) is the upsert key and,
    // being a unique index led by provider_id, also serves every per-provider filter. SQLite
    // wants table constraints after all column definitions, hence the two lists.
    const inventoryTable = (table: string, columns: string[], constraints: string[] = []) => `CREATE TABLE "${table}" (
        "id" varchar(36) NOT NULL,
        "provider_id" varchar(36) NOT NULL,
        "native_id" varchar(1024) NOT NULL,
        "archived_at" ${ts} NULL,
        "created_at" ${ts} NOT NULL,
        "updated_at" ${ts} NOT NULL,
        ${columns.join(',\n        ')},
        CONSTRAINT "PK_${table}" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_${table}_provider_native" UNIQUE ("provider_id", "native_id"),
        ${[`CONSTRAINT "FK_${table}_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE`, ...constraints].join(',\n        ')}
      )`;

    const statements = [
      `CREATE TABLE "providers" (
        "id" varchar(36) NOT NULL,
        "name" varchar(128) NOT NULL,
        "type" varchar(32) NOT NULL,
        "config" text NOT NULL,
        "credentials_ciphertext" text NOT NULL,
        "refresh_interval_seconds" integer NULL,
        "last_full_refresh_at" ${ts} NULL,
        "created_at" ${ts} NOT NULL,
        "updated_at" ${ts} NOT NULL,
        CONSTRAINT "PK_providers" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_providers_name" UNIQUE ("name")
      )`,

      `CREATE TABLE "refreshes" (
        "id" varchar(36) NOT NULL,
        "provider_id" varchar(36) NOT NULL,
        "kind" varchar(16) NOT NULL,
        "targets" text NULL,
        "trigger" varchar(16) NOT NULL,
        "status" varchar(16) NOT NULL,
        "progress" text NOT NULL,
        "errors" text NOT NULL,
        "requested_at" ${ts} NOT NULL,
        "started_at" ${ts} NULL,
        "finished_at" ${ts} NULL,
        "heartbeat_at" ${ts} NULL,
        "owner" varchar(255) NULL,
        CONSTRAINT "PK_refreshes" PRIMARY KEY ("id"),
        CONSTRAINT "FK_refreshes_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,
      // At most one queued or running refresh per provider, across every process of a cluster.
      `CREATE UNIQUE INDEX "UQ_refreshes_active_provider" ON "refreshes" ("provider_id") WHERE "status" IN ('queued', 'running')`,
      `CREATE INDEX "IDX_refreshes_provider_requested" ON "refreshes" ("provider_id", "requested_at")`,
      `CREATE INDEX "IDX_refreshes_status" ON "refreshes" ("status")`,

      inventoryTable('resource_groups', [
        '"name" varchar(255) NOT NULL',
        '"location" varchar(255) NULL',
        '"tags" text NOT NULL',
      ]),

      inventoryTable('networks', [
        '"name" varchar(255) NOT NULL',
        '"kind" varchar(16) NOT NULL',
        '"location" varchar(255) NULL',
      ]),
      `CREATE INDEX "IDX_networks_name" ON "networks" ("name")`,

      inventoryTable('hosts', [
        '"name" varchar(255) NOT NULL',
        '"kind" varchar(32) NOT NULL',
        '"os_name" varchar(255) NULL',
        '"os_version" varchar(255) NULL',
        '"cpu_count" integer NULL',
        '"memory_mb" integer NULL',
        '"hypervisor_version" varchar(255) NULL',
        '"location" varchar(255) NULL',
      ]),
      `CREATE INDEX "IDX_hosts_name" ON "hosts" ("name")`,

      inventoryTable('images', [
        '"name" varchar(512) NOT NULL',
        '"kind" varchar(16) NOT NULL',
        '"publisher" varchar(128) NULL',
        '"offer" varchar(128) NULL',
        '"sku" varchar(128) NULL',
        '"version" varchar(255) NULL',
        '"os_family" varchar(16) NOT NULL',
        '"os_name" varchar(255) NULL',
        '"os_version" varchar(255) NULL',
        '"os_source" varchar(16) NULL',
      ]),
      `CREATE INDEX "IDX_images_name" ON "images" ("name")`,

      inventoryTable('vms', [
        '"uid" varchar(255) NULL',
        '"name" varchar(255) NOT NULL',
        '"host_id" varchar(36) NULL',
        '"image_id" varchar(36) NULL',
        '"location" varchar(255) NULL',
        '"resource_group" varchar(255) NULL',
        '"subscription_id" varchar(255) NULL',
        '"size" varchar(255) NULL',
        '"cpu_count" integer NULL',
        '"memory_mb" integer NULL',
        '"power_state" varchar(16) NOT NULL',
        '"os_family" varchar(16) NOT NULL',
        '"os_name" varchar(255) NULL',
        '"os_version" varchar(255) NULL',
        '"os_source" varchar(16) NULL',
        '"license_model" varchar(16) NULL',
        '"license_type" varchar(255) NULL',
        '"guest_agent_version" varchar(255) NULL',
        '"tags" text NOT NULL',
        '"ip_addresses" text NOT NULL',
        `"created_at_provider" ${ts} NULL`,
      ], [
        'CONSTRAINT "FK_vms_host" FOREIGN KEY ("host_id") REFERENCES "hosts" ("id") ON DELETE SET NULL',
        'CONSTRAINT "FK_vms_image" FOREIGN KEY ("image_id") REFERENCES "images" ("id") ON DELETE SET NULL',
      ]),
      `CREATE INDEX "IDX_vms_os_family" ON "vms" ("os_family")`,
      `CREATE INDEX "IDX_vms_power_state" ON "vms" ("power_state")`,
      // The API filters location case-insensitively (LOWER(location) = ...).
      `CREATE INDEX "IDX_vms_location" ON "vms" (lower("location"))`,
      `CREATE INDEX "IDX_vms_archived_at" ON "vms" ("archived_at")`,
      `CREATE INDEX "IDX_vms_name" ON "vms" ("name")`,
      `CREATE INDEX "IDX_vms_host" ON "vms" ("host_id")`,
      `CREATE INDEX "IDX_vms_image" ON "vms" ("image_id")`,

      inventoryTable('nics', [
        '"vm_id" varchar(36) NULL',
        '"name" varchar(255) NOT NULL',
        '"mac_address" varchar(64) NULL',
        '"primary" boolean NOT NULL DEFAULT false',
        '"private_ips" text NOT NULL',
        '"public_ips" text NOT NULL',
        '"network_id" varchar(36) NULL',
      ], [
        'CONSTRAINT "FK_nics_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE SET NULL',
        'CONSTRAINT "FK_nics_network" FOREIGN KEY ("network_id") REFERENCES "networks" ("id") ON DELETE SET NULL',
      ]),
      `CREATE INDEX "IDX_nics_vm" ON "nics" ("vm_id")`,
      `CREATE INDEX "IDX_nics_network" ON "nics" ("network_id")`,

      inventoryTable('disks', [
        '"vm_id" varchar(36) NULL',
        '"name" varchar(255) NOT NULL',
        '"role" varchar(8) NOT NULL',
        '"size_gb" integer NULL',
        '"storage_type" varchar(255) NULL',
        '"location" varchar(255) NULL',
      ], [
        'CONSTRAINT "FK_disks_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE SET NULL',
      ]),
      `CREATE INDEX "IDX_disks_vm" ON "disks" ("vm_id")`,

      // vm_id is NOT NULL (a change belongs to its VM), so it cascades rather than SET NULL.
      `CREATE TABLE "vm_changes" (
        "id" varchar(36) NOT NULL,
        "vm_id" varchar(36) NOT NULL,
        "provider_id" varchar(36) NOT NULL,
        "refresh_id" varchar(36) NULL,
        "field" varchar(64) NOT NULL,
        "from_value" text NULL,
        "to_value" text NULL,
        "changed_at" ${ts} NOT NULL,
        CONSTRAINT "PK_vm_changes" PRIMARY KEY ("id"),
        CONSTRAINT "FK_vm_changes_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_vm_changes_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_vm_changes_refresh" FOREIGN KEY ("refresh_id") REFERENCES "refreshes" ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "IDX_vm_changes_vm_changed" ON "vm_changes" ("vm_id", "changed_at")`,
      // Cascades and SET NULL from providers/refreshes would scan the table without these.
      `CREATE INDEX "IDX_vm_changes_provider" ON "vm_changes" ("provider_id")`,
      `CREATE INDEX "IDX_vm_changes_refresh" ON "vm_changes" ("refresh_id")`,
    ];
    for (const sql of statements) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['vm_changes', 'disks', 'nics', 'vms', 'images', 'hosts', 'networks', 'resource_groups', 'refreshes', 'providers']) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
