import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lifecycle operations (power actions, retirement), one active per VM; what links the inventory's
 * changes to the operation that caused them (refresh targets, refreshes, changes); retirement dates.
 */
export class Operations1795600000006 implements MigrationInterface {
  name = 'Operations1795600000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const statements = [
      `CREATE TABLE "operations" (
        "id" varchar(36) NOT NULL,
        "kind" varchar(16) NOT NULL,
        "action" varchar(32) NOT NULL,
        "vm_id" varchar(36) NOT NULL,
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
        "requested_at" ${ts} NOT NULL,
        "started_at" ${ts} NULL,
        "finished_at" ${ts} NULL,
        "owner" varchar(255) NULL,
        "confirmed_by_refresh_id" varchar(36) NULL,
        CONSTRAINT "PK_operations" PRIMARY KEY ("id"),
        CONSTRAINT "FK_operations_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_operations_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,
      // One action per VM at a time, whichever process asks: the database decides the race.
      `CREATE UNIQUE INDEX "UQ_operations_active_vm" ON "operations" ("vm_id") WHERE "status" IN ('queued', 'running')`,
      // Newest first, overall and per VM / status / kind: the filters of GET /operations.
      `CREATE INDEX "IDX_operations_requested" ON "operations" ("requested_at", "id")`,
      `CREATE INDEX "IDX_operations_vm" ON "operations" ("vm_id", "requested_at")`,
      `CREATE INDEX "IDX_operations_status" ON "operations" ("status", "requested_at")`,
      `CREATE INDEX "IDX_operations_batch" ON "operations" ("batch_id")`,
      `ALTER TABLE "refresh_targets" ADD COLUMN "operation_id" varchar(36) NULL`,
      `ALTER TABLE "refreshes" ADD COLUMN "causes" text NULL`,
      `ALTER TABLE "vm_changes" ADD COLUMN "operation_id" varchar(36) NULL`,
      `ALTER TABLE "vms" ADD COLUMN "archive_reason" varchar(32) NULL`,
      `CREATE TABLE "vm_retirements" (
        "vm_id" varchar(36) NOT NULL,
        "retires_at" ${ts} NOT NULL,
        "warned_at" ${ts} NULL,
        "set_by" varchar(128) NOT NULL,
        "updated_at" ${ts} NOT NULL,
        CONSTRAINT "PK_vm_retirements" PRIMARY KEY ("vm_id"),
        CONSTRAINT "FK_vm_retirements_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE CASCADE
      )`,
      // The scheduled job's two questions: what is due, what is due soon and not warned.
      `CREATE INDEX "IDX_vm_retirements_due" ON "vm_retirements" ("retires_at")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "vm_retirements"`);
    await queryRunner.query(`ALTER TABLE "vms" DROP COLUMN "archive_reason"`);
    await queryRunner.query(`ALTER TABLE "vm_changes" DROP COLUMN "operation_id"`);
    await queryRunner.query(`ALTER TABLE "refreshes" DROP COLUMN "causes"`);
    await queryRunner.query(`ALTER TABLE "refresh_targets" DROP COLUMN "operation_id"`);
    await queryRunner.query(`DROP TABLE "operations"`);
  }
}
