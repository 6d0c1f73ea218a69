import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Machine credentials, playbook runs and their job events. */
export class Automation1795600000003 implements MigrationInterface {
  name = 'Automation1795600000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const statements = [
      `CREATE TABLE "machine_credentials" (
        "id" varchar(36) NOT NULL,
        "name" varchar(128) NOT NULL,
        "username" varchar(255) NOT NULL,
        "secret_ciphertext" text NOT NULL,
        "known_hosts" text NULL,
        "created_at" ${ts} NOT NULL,
        "updated_at" ${ts} NOT NULL,
        CONSTRAINT "PK_machine_credentials" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_machine_credentials_name" UNIQUE ("name")
      )`,

      `CREATE TABLE "playbook_runs" (
        "id" varchar(36) NOT NULL,
        "playbook" varchar(512) NOT NULL,
        "status" varchar(16) NOT NULL,
        "credential_id" varchar(36) NULL,
        "targets" text NOT NULL,
        "inventory" text NOT NULL,
        "hosts" text NOT NULL,
        "skipped" text NOT NULL,
        "extra_vars" text NOT NULL,
        "limit" varchar(1024) NULL,
        "timeout_seconds" integer NOT NULL,
        "trigger" varchar(16) NOT NULL,
        "requested_at" ${ts} NOT NULL,
        "started_at" ${ts} NULL,
        "finished_at" ${ts} NULL,
        "rc" integer NULL,
        "reason" varchar(1024) NULL,
        "host_summary" text NOT NULL,
        "event_count" integer NOT NULL DEFAULT 0,
        "stdout" text NULL,
        "owner" varchar(255) NULL,
        CONSTRAINT "PK_playbook_runs" PRIMARY KEY ("id"),
        CONSTRAINT "FK_playbook_runs_credential" FOREIGN KEY ("credential_id") REFERENCES "machine_credentials" ("id") ON DELETE SET NULL
      )`,
      `CREATE INDEX "IDX_playbook_runs_requested" ON "playbook_runs" ("requested_at", "id")`,
      `CREATE INDEX "IDX_playbook_runs_status" ON "playbook_runs" ("status")`,

      `CREATE TABLE "playbook_run_events" (
        "run_id" varchar(36) NOT NULL,
        "counter" integer NOT NULL,
        "uuid" varchar(36) NOT NULL,
        "event" varchar(64) NOT NULL,
        "created" ${ts} NOT NULL,
        "host" varchar(255) NULL,
        "task" varchar(1024) NULL,
        "stdout" text NOT NULL,
        "data" text NOT NULL,
        CONSTRAINT "PK_playbook_run_events" PRIMARY KEY ("run_id", "counter"),
        CONSTRAINT "FK_playbook_run_events_run" FOREIGN KEY ("run_id") REFERENCES "playbook_runs" ("id") ON DELETE CASCADE
      )`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['playbook_run_events', 'playbook_runs', 'machine_credentials']) await queryRunner.query(`DROP TABLE "${table}"`);
  }
}
