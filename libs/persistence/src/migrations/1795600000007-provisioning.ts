import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Provision requests: what was asked, approved or denied, by whom (their tasks are operations). */
export class Provisioning1795600000007 implements MigrationInterface {
  name = 'Provisioning1795600000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    const ts = queryRunner.connection.driver.options.type === 'postgres' ? 'timestamptz' : 'datetime';
    const statements = [
      `CREATE TABLE "provision_requests" (
        "id" varchar(36) NOT NULL,
        "status" varchar(24) NOT NULL,
        "provider_id" varchar(36) NOT NULL,
        "source_ref" varchar(255) NOT NULL,
        "source" text NOT NULL,
        "count" integer NOT NULL,
        "names" text NOT NULL,
        "vcpus" integer NOT NULL,
        "spec" text NOT NULL,
        "requested_by" varchar(128) NOT NULL,
        "requested_by_token_id" varchar(36) NULL,
        "decided_by" varchar(128) NULL,
        "reason" text NULL,
        "requested_at" ${ts} NOT NULL,
        "decided_at" ${ts} NULL,
        "finished_at" ${ts} NULL,
        CONSTRAINT "PK_provision_requests" PRIMARY KEY ("id"),
        CONSTRAINT "FK_provision_requests_provider" FOREIGN KEY ("provider_id") REFERENCES "providers" ("id") ON DELETE CASCADE
      )`,
      // Newest first, overall, per status and per requester: the filters of GET /provision-requests.
      `CREATE INDEX "IDX_provision_requests_requested" ON "provision_requests" ("requested_at", "id")`,
      `CREATE INDEX "IDX_provision_requests_status" ON "provision_requests" ("status", "requested_at")`,
      `CREATE INDEX "IDX_provision_requests_requester" ON "provision_requests" ("requested_by", "requested_at")`,
      // The quota of requests in progress per token.
      `CREATE INDEX "IDX_provision_requests_token" ON "provision_requests" ("requested_by_token_id", "status")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "provision_requests"`);
  }
}
