import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import { makeMember } from '../support/scenario.js';

// Instants and dates must not move with the database's time zone. A zone eleven hours behind UTC: a date sent
// as midnight UTC and converted in the session's zone would land on the day before.
const ZONE = 'Pacific/Pago_Pago';
const adminUrl = process.env.DATABASE_URL;
let db: Database;
let dropDatabase = async () => {};

beforeAll(async () => {
  if (adminUrl) {
    // PostgreSQL: a database whose own setting is the zone, so every pooled connection starts in it.
    const name = `collectifs_tz_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.query(`ALTER DATABASE "${name}" SET timezone TO '${ZONE}'`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    db = await openDatabase({ databaseUrl: url.toString() });
    dropDatabase = async () => {
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    };
  } else {
    // PGlite: the database's own setting, taken by the sessions opened after it (as a restart does).
    const dir = mkdtempSync(join(tmpdir(), 'collectifs-tz-'));
    const setup = await openDatabase({ dataDir: dir });
    await setup.sql.exec(`ALTER DATABASE postgres SET timezone TO '${ZONE}'`);
    await setup.close();
    db = await openDatabase({ dataDir: dir, pgliteThread: process.env.PGLITE_THREAD === 'worker' ? 'worker' : 'main' });
    dropDatabase = async () => rmSync(dir, { recursive: true, force: true });
  }
  await migrate(db.sql);
}, 120_000);

afterAll(async () => {
  await db?.close();
  await dropDatabase();
});

describe('Instants whatever the database time zone', () => {
  it('should store instants and dates as given, read back with SQL and with Prisma', async () => {
    // The database says the zone; the server's sessions run in UTC all the same.
    const [{ zone } = { zone: '' }] = await db.sql.query<{ zone: string }>(
      "SELECT setting AS zone FROM pg_db_role_setting s, unnest(s.setconfig) AS setting WHERE setting LIKE 'TimeZone=%' OR setting LIKE 'timezone=%'",
    );
    expect(zone.toLowerCase()).toBe(`timezone=${ZONE.toLowerCase()}`);

    const member = await makeMember(db.prisma, { joinedCooperativeOn: new Date('2024-03-01') });
    const expiresAt = new Date('2024-03-01T12:34:56.789Z');
    const session = await db.prisma.session.create({
      data: { memberId: member.id, tokenHash: randomBytes(8).toString('hex'), expiresAt },
    });

    const [row] = await db.sql.query<{ expires: string; joined: string; recent: boolean }>(
      `SELECT to_char(s."expiresAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') AS expires,
              m."joinedCooperativeOn"::text AS joined,
              abs(extract(epoch FROM (s."createdAt" - now()))) < 3600 AS recent
         FROM "Session" s JOIN "Member" m ON m.id = s."memberId" WHERE s.id = $1`,
      [session.id],
    );
    expect(row).toEqual({ expires: '2024-03-01T12:34:56.789', joined: '2024-03-01', recent: true });

    const read = await db.prisma.session.findUniqueOrThrow({ where: { id: session.id }, include: { member: true } });
    expect(read.expiresAt.toISOString()).toBe('2024-03-01T12:34:56.789Z');
    expect(read.member.joinedCooperativeOn.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(Math.abs(read.createdAt.getTime() - Date.now())).toBeLessThan(3_600_000);
  });
});
