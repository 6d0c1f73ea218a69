import type { MigrationInterface, QueryRunner } from 'typeorm';

const OPERATION_INDEXES = [
  // As Operations1795600000006 made them (a rebuilt SQLite table loses its indexes).
  `CREATE UNIQUE INDEX "UQ_operations_active_vm" ON "operations" ("vm_id") WHERE "status" IN ('queued', 'running')`,
  `CREATE INDEX "IDX_operations_requested" ON "operations" ("requested_at", "id")`,
  `CREATE INDEX "IDX_operations_vm" ON "operations" ("vm_id", "requested_at")`,
  `CREATE INDEX "IDX_operations_status" ON "operations" ("status", "requested_at")`,
  `CREATE INDEX "IDX_operations_batch" ON "operations" ("batch_id")`,
];

/**
 * Provision tasks are operations: one per VM of a request, with no VM until the VM it makes is in
 * the inventory (`vm_id` becomes nullable; NULLs never collide in the one-active-per-VM index),
 * and the request it belongs to.
 */
export class ProvisionTasks1795600000008 implements MigrationInterface {
  name = 'ProvisionTasks1795600000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query(`ALTER TABLE "operations" ALTER COLUMN "vm_id" DROP NOT NULL`);
      await queryRunner.query(`ALTER TABLE "operations" ADD COLUMN "provision_request_id" varchar(36) NULL`);
    } else {
      // SQLite cannot drop a NOT NULL: the table is built again, rows and indexes kept.
      await this.rebuildSqlite(queryRunner, true);
    }
    await queryRunner.query(`CREATE INDEX "IDX_operations_provision_request" ON "operations" ("provision_request_id", "requested_at")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_operations_provision_request"`);
    await queryRunner.query(`DELETE FROM "operations" WHERE "vm_id" IS NULL`);
    if (queryRunner.connection.driver.options.type === 'postgres') {
      await queryRunner.query(`ALTER TABLE "operations" DROP COLUMN "provision_request_id"`);
      await queryRunner.query(`ALTER TABLE "operations" ALTER COLUMN "vm_id" SET NOT NULL`);
    } else {
      await this.rebuildSqlite(queryRunner, false);
    }
  }

  private async rebuildSqlite(queryRunner: QueryRunner, withTasks: boolean): Promise<void> {
    const columns = [
      '"id"', '"kind"', '"action"', '"vm_id"', '"provider_id"', '"vm_name"', '"status"', '"options"', '"requested_by"', '"requested_by_token_id"',
      '"batch_id"', '"steps"', '"error_code"', '"error"', '"requested_at"', '"started_at"', '"finished_at"', '"owner"', '"confirmed_by_refresh_id"',
    ].join(', ');
    await queryRunner.query(`CREATE TABLE "operations_rebuilt" (
        "id" varchar(36) NOT NULL,
        "kind" varchar(16) NOT NULL,
        "action" varchar(32) NOT NULL,
        "vm_id" varchar(36) ${withTasks ? 'NULL' : 'NOT NULL'},
        "provider_id" varchar(36) NOT NULL,
        "vm_name" varchar(255) NOT NULL,
        "status" varchar(16) NOT NULL,
        "options" text NOT NULL,
        "requested_by" varchar(128) NOT NULL,
        "requested_by_token_id" varchar(36) NULL,
        "batch_id" varchar(36) NULL,
        "steps" text NOT NULL,
        "error_code" varchar(64) NULL,
        "error" text NULL,
        "requested_at" datetime NOT NULL,
        "started_at" datetime NULL,
        "finished_at" datetime NULL,
        "owner" varchar(255) NULL,
        "confirmed_by_refresh_id" varchar(36) NULL,
        ${withTasks ? '"provision_request_id" varchar(36) NULL,' : ''}
        CONSTRAINT "PK_operations" PRIMARY KEY ("id"),
        CONSTRAINT "FK_operations_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_operations_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`);
    await queryRunner.query(`INSERT INTO "operations_rebuilt" (${columns}) SELECT ${columns} FROM "operations"`);
    await queryRunner.query(`DROP TABLE "operations"`);
    await queryRunner.query(`ALTER TABLE "operations_rebuilt" RENAME TO "operations"`);
    for (const statement of OPERATION_INDEXES) await queryRunner.query(statement);
  }
}
