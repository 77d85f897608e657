import { describe, expect, it } from 'vitest';
import { writesRights } from '../../server/src/db/access-writes.js';
import { testAppForFile } from '../support/app.js';
import { makeCollective, makeMember } from '../support/scenario.js';

// A token's kept session serves only while nothing wrote to the tables rights are read from (db/access-writes.ts).

describe('Writes to the rights’ tables', () => {
  it('should tell the statements that may write to them from the rest', () => {
    for (const sql of [
      'INSERT INTO "public"."Membership" ("id","role") VALUES ($1,$2) RETURNING "public"."Membership"."id"',
      'UPDATE "public"."Session" SET "revokedAt" = $1 WHERE "public"."Session"."id" = $2',
      'delete from "Member" where id = $1',
      'WITH gone AS (DELETE FROM "Membership" WHERE id = $1 RETURNING id) SELECT count(*) FROM gone',
      'TRUNCATE "Membership" CASCADE',
    ])
      expect(writesRights(sql), sql).toBe(true);
    for (const sql of [
      'SELECT s.id FROM "Session" s JOIN "Member" m ON m.id = s."memberId" WHERE s."tokenHash" = $1',
      'INSERT INTO "public"."EventLog" ("type") VALUES ($1) RETURNING "public"."EventLog"."position"',
      'UPDATE "public"."Section" SET "title" = $1 WHERE "public"."Section"."collectiveId" = $2',
      'WITH last AS (SELECT id FROM "Membership") SELECT * FROM last',
      'SELECT id FROM "Member" WHERE id = $1::uuid FOR UPDATE',
      // A collective's row holds no one's rights (`resolveSignedIn` reads none): a rename keeps every kept session.
      'UPDATE "public"."Collective" SET "name" = $1 WHERE "public"."Collective"."id" = $2',
    ])
      expect(writesRights(sql), sql).toBe(false);
  });

  const t = testAppForFile();
  it('should count nothing on PostgreSQL, which other processes may write (nothing is kept there)', async () => {
    expect(t.db.accessWrites === undefined).toBe(Boolean(process.env.DATABASE_URL));
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'should count a fixture’s write, in a transaction or not, and no read',
    async () => {
      const writes = t.db.accessWrites;
      if (!writes) throw new Error('The test database counts no writes');
      let epoch = writes.epoch;
      const member = await makeMember(t.db.prisma);
      expect(writes.epoch).toBeGreaterThan(epoch);
      epoch = writes.epoch;
      // A collective and its founding membership: one transaction of Prisma's.
      await makeCollective(t.db.prisma, { animatorId: member.id });
      expect(writes.epoch).toBeGreaterThan(epoch);
      epoch = writes.epoch;
      await t.db.prisma.membership.findMany({ where: { memberId: member.id } });
      await t.db.prisma.$transaction((tx) => tx.member.findUniqueOrThrow({ where: { id: member.id } }));
      expect(writes.epoch).toBe(epoch);
      await t.db.prisma.$executeRaw`UPDATE "Member" SET trade = 'Menuisier' WHERE id = ${member.id}::uuid`;
      expect(writes.epoch).toBeGreaterThan(epoch);
    },
  );
});
