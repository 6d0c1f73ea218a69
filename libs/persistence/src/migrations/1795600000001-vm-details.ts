import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Provider-specific facts of a VM (Hyper-V generation and integration services, Azure zones…). */
export class VmDetails1795600000001 implements MigrationInterface {
  name = 'VmDetails1795600000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The same statement is valid on SQLite and PostgreSQL; existing rows get an empty object.
    await queryRunner.query(`ALTER TABLE "vms" ADD COLUMN "details" text NOT NULL DEFAULT '{}'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "vms" DROP COLUMN "details"`);
  }
}
