import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Automation rules (an event of a kind → a playbook run on the event's VM), and which rule and event made a run. */
export class AutomationRules1795600000004 implements MigrationInterface {
  name = 'AutomationRules1795600000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const statements = [
      `CREATE TABLE "automation_rules" (
        "id" varchar(36) NOT NULL,
        "name" varchar(128) NOT NULL,
        "enabled" boolean NOT NULL,
        "on_provider_id" varchar(36) NULL,
        "on_type" varchar(32) NOT NULL,
        "on_os_family" varchar(16) NULL,
        "playbook" varchar(512) NOT NULL,
        "extra_vars" text NOT NULL,
        "credential_id" varchar(36) NOT NULL,
        "cooldown_seconds" integer NOT NULL,
        "max_runs_per_hour" integer NOT NULL,
        "created_at" ${ts} NOT NULL,
        "updated_at" ${ts} NOT NULL,
        CONSTRAINT "PK_automation_rules" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_automation_rules_name" UNIQUE ("name"),
        CONSTRAINT "FK_automation_rules_provider" FOREIGN KEY ("on_provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE,
        CONSTRAINT "FK_automation_rules_credential" FOREIGN KEY ("credential_id") REFERENCES "machine_credentials" ("id") ON DELETE CASCADE
      )`,
      // History: a run keeps the ids of the rule and event that made it, even once they are gone.
      `ALTER TABLE "playbook_runs" ADD COLUMN "rule_id" varchar(36) NULL`,
      `ALTER TABLE "playbook_runs" ADD COLUMN "event_id" varchar(36) NULL`,
      `CREATE INDEX "IDX_playbook_runs_rule" ON "playbook_runs" ("rule_id", "requested_at")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_playbook_runs_rule"`);
    await queryRunner.query(`ALTER TABLE "playbook_runs" DROP COLUMN "event_id"`);
    await queryRunner.query(`ALTER TABLE "playbook_runs" DROP COLUMN "rule_id"`);
    await queryRunner.query(`DROP TABLE "automation_rules"`);
  }
}
