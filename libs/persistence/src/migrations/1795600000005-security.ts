import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API tokens (hashes only) and the audit log of every change asked of the API. */
export class Security1795600000005 implements MigrationInterface {
  name = 'Security1795600000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const statements = [
      `CREATE TABLE "api_tokens" (
        "id" varchar(36) NOT NULL,
        "name" varchar(128) NOT NULL,
        "role" varchar(16) NOT NULL,
        "token_hash" varchar(64) NOT NULL,
        "prefix" varchar(16) NOT NULL,
        "created_by" varchar(128) NOT NULL,
        "created_at" ${ts} NOT NULL,
        "expires_at" ${ts} NULL,
        "last_used_at" ${ts} NULL,
        "revoked_at" ${ts} NULL,
        CONSTRAINT "PK_api_tokens" PRIMARY KEY ("id"),
        CONSTRAINT "UQ_api_tokens_hash" UNIQUE ("token_hash")
      )`,
      `CREATE TABLE "audit_log" (
        "id" varchar(36) NOT NULL,
        "at" ${ts} NOT NULL,
        "actor" varchar(128) NOT NULL,
        "actor_token_id" varchar(36) NULL,
        "actor_role" varchar(16) NULL,
        "action" varchar(64) NOT NULL,
        "target_type" varchar(32) NULL,
        "target_id" varchar(128) NULL,
        "method" varchar(8) NOT NULL,
        "path" varchar(512) NOT NULL,
        "client_ip" varchar(64) NULL,
        "outcome" varchar(16) NOT NULL,
        "status_code" integer NOT NULL,
        "message" text NULL,
        "detail" text NULL,
        CONSTRAINT "PK_audit_log" PRIMARY KEY ("id")
      )`,
      // Newest first, and by who or what: the filters of GET /audit.
      `CREATE INDEX "IDX_audit_log_at" ON "audit_log" ("at", "id")`,
      `CREATE INDEX "IDX_audit_log_actor" ON "audit_log" ("actor", "at")`,
      `CREATE INDEX "IDX_audit_log_action" ON "audit_log" ("action", "at")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "audit_log"`);
    await queryRunner.query(`DROP TABLE "api_tokens"`);
  }
}
