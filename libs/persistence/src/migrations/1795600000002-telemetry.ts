import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events, their per-provider checkpoints, the targets events ask to refresh, and metric samples
 * with their hourly and daily rollups.
 *
 * Metric tables are keyed (vm_id, name, ts) with `ts` in epoch seconds: one narrow row per sample,
 * the key serving every per-VM query. On SQLite they are WITHOUT ROWID tables (the key is the
 * table, no second copy). They carry no foreign key to vms: a check per sample would cost the
 * bulk ingest, and retention removes rows of deleted providers' VMs in time.
 */
export class Telemetry1795600000002 implements MigrationInterface {
  name = 'Telemetry1795600000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const postgres = queryRunner.connection.driver.options.type === 'postgres';
    const ts = postgres ? 'timestamptz' : 'datetime';
    const withoutRowid = postgres ? '' : ' WITHOUT ROWID';
    const rollupTable = (table: string) => `CREATE TABLE "${table}" (
        "vm_id" varchar(36) NOT NULL,
        "name" varchar(32) NOT NULL,
        "bucket" bigint NOT NULL,
        "min" double precision NOT NULL,
        "max" double precision NOT NULL,
        "sum" double precision NOT NULL,
        "count" integer NOT NULL,
        CONSTRAINT "PK_${table}" PRIMARY KEY ("vm_id", "name", "bucket")
      )${withoutRowid}`;

    const statements = [
      `CREATE TABLE "events" (
        "id" varchar(36) NOT NULL,
        "provider_id" varchar(36) NOT NULL,
        "native_id" varchar(255) NOT NULL,
        "occurred_at" ${ts} NOT NULL,
        "received_at" ${ts} NOT NULL,
        "type" varchar(32) NOT NULL,
        "vm_native_id" varchar(1024) NULL,
        "vm_id" varchar(36) NULL,
        "vm_name" varchar(255) NULL,
        "status" varchar(64) NULL,
        "actor" varchar(255) NULL,
        "message" varchar(1024) NULL,
        "raw" text NOT NULL,
        CONSTRAINT "PK_events" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_events_provider_native" UNIQUE ("provider_id", "native_id"),
        CONSTRAINT "FK_events_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_events_vm" FOREIGN KEY ("vm_id") REFERENCES "vms" ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "IDX_events_occurred" ON "events" ("occurred_at", "id")`,
      // A VM's events are found by its native id, so those that came before the VM was inventoried count too.
      `CREATE INDEX "IDX_events_provider_vm" ON "events" ("provider_id", "vm_native_id", "occurred_at")`,
      `CREATE INDEX "IDX_events_vm" ON "events" ("vm_id")`,

      `CREATE TABLE "event_checkpoints" (
        "provider_id" varchar(36) NOT NULL,
        "checkpoint" text NULL,
        "polled_at" ${ts} NULL,
        "succeeded_at" ${ts} NULL,
        "last_error" varchar(1024) NULL,
        "events_stored" integer NOT NULL DEFAULT 0,
        CONSTRAINT "PK_event_checkpoints" PRIMARY KEY ("provider_id"),
        CONSTRAINT "FK_event_checkpoints_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,

      // VMs that events asked to refresh and no refresh has taken yet; the key coalesces bursts.
      `CREATE TABLE "refresh_targets" (
        "provider_id" varchar(36) NOT NULL,
        "native_id" varchar(1024) NOT NULL,
        "requested_at" ${ts} NOT NULL,
        CONSTRAINT "PK_refresh_targets" PRIMARY KEY ("provider_id", "native_id"),
        CONSTRAINT "FK_refresh_targets_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,

      `CREATE TABLE "metric_samples" (
        "vm_id" varchar(36) NOT NULL,
        "name" varchar(32) NOT NULL,
        "ts" bigint NOT NULL,
        "value" double precision NOT NULL,
        CONSTRAINT "PK_metric_samples" PRIMARY KEY ("vm_id", "name", "ts")
      )${withoutRowid}`,
      // Retention deletes by time slice; the fleet summary reads a time window.
      `CREATE INDEX "IDX_metric_samples_ts" ON "metric_samples" ("ts")`,
      rollupTable('metric_rollups_hourly'),
      `CREATE INDEX "IDX_metric_rollups_hourly_bucket" ON "metric_rollups_hourly" ("bucket")`,
      rollupTable('metric_rollups_daily'),
      `CREATE INDEX "IDX_metric_rollups_daily_bucket" ON "metric_rollups_daily" ("bucket")`,
      // Hours of a VM that received samples since they were last rolled up.
      `CREATE TABLE "metric_rollup_pending" (
        "bucket" bigint NOT NULL,
        "vm_id" varchar(36) NOT NULL,
        "marked_at" bigint NOT NULL,
        CONSTRAINT "PK_metric_rollup_pending" PRIMARY KEY ("bucket", "vm_id")
      )${withoutRowid}`,

      `CREATE TABLE "metric_captures" (
        "provider_id" varchar(36) NOT NULL,
        "captured_until" ${ts} NULL,
        "captured_at" ${ts} NULL,
        "last_error" varchar(1024) NULL,
        "samples_stored" integer NOT NULL DEFAULT 0,
        CONSTRAINT "PK_metric_captures" PRIMARY KEY ("provider_id"),
        CONSTRAINT "FK_metric_captures_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'metric_captures',
      'metric_rollup_pending',
      'metric_rollups_daily',
      'metric_rollups_hourly',
      'metric_samples',
      'refresh_targets',
      'event_checkpoints',
      'events',
    ]) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
