import type { MigrationInterface, QueryRunner } from 'typeorm';

// Live VMs are those with no archived_at (the list's default): every index is partial on it, so
// archived history never weighs on the pages operators read.
const LIVE = `WHERE "archived_at" IS NULL`;

/**
 * Indexes of `GET /vms`: for each filter an index led by its column then the default keyset
 * order (name, id), so that a filtered page is one range read in order and stops after the page;
 * and one per other sort, (sort, id), for unfiltered pages sorted otherwise. tag and q are
 * substring matches no B-tree serves: at best they walk the (name, id) index and stop once a page
 * is full.
 */
export class VmListIndexes1795600000009 implements MigrationInterface {
  name = 'VmListIndexes1795600000009';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const statements = [
      // (name) becomes (name, id), the whole keyset: otherwise PostgreSQL may walk it and sort each name's ties.
      `DROP INDEX "IDX_vms_name"`,
      `CREATE INDEX "IDX_vms_name" ON "vms" ("name", "id")`,
      `CREATE INDEX "IDX_vms_live_name" ON "vms" ("name", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_provider_name" ON "vms" ("provider_id", "name", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_os_family_name" ON "vms" ("os_family", "name", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_os_version_name" ON "vms" ("os_version", "name", "id") ${LIVE}`,
      // The major filter's `9.x` is a range of byte order ['9.', '9/'): SQLite's default (BINARY)
      // already is; PostgreSQL needs it said, whatever the database's collation.
      ...(postgres ? [`CREATE INDEX "IDX_vms_live_os_version_bytes" ON "vms" ("os_version" COLLATE "C") ${LIVE}`] : []),
      `CREATE INDEX "IDX_vms_live_license_model_name" ON "vms" ("license_model", "name", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_power_state_name" ON "vms" ("power_state", "name", "id") ${LIVE}`,
      // The API compares locations case-insensitively (LOWER(location) = …).
      `CREATE INDEX "IDX_vms_live_location_name" ON "vms" (lower("location"), "name", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_created" ON "vms" ("created_at", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_updated" ON "vms" ("updated_at", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_power_state" ON "vms" ("power_state", "id") ${LIVE}`,
      `CREATE INDEX "IDX_vms_live_os_family" ON "vms" ("os_family", "id") ${LIVE}`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') await queryRunner.query(`DROP INDEX "IDX_vms_live_os_version_bytes"`);
    for (const name of [
      'IDX_vms_live_os_family',
      'IDX_vms_live_power_state',
      'IDX_vms_live_updated',
      'IDX_vms_live_created',
      'IDX_vms_live_location_name',
      'IDX_vms_live_power_state_name',
      'IDX_vms_live_license_model_name',
      'IDX_vms_live_os_version_name',
      'IDX_vms_live_os_family_name',
      'IDX_vms_live_provider_name',
      'IDX_vms_live_name',
      'IDX_vms_name',
    ]) {
      await queryRunner.query(`DROP INDEX "${name}"`);
    }
    await queryRunner.query(`CREATE INDEX "IDX_vms_name" ON "vms" ("name")`);
  }
}
