import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Database, openDatabase } from '../../server/src/db/database.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { PrismaClient } from '../../server/src/generated/prisma/client.js';
import { seedDemoData } from '../../server/src/seed/demo.js';

/** Collectives the nested-query benchmark reads (`collectives(first: 50)`): the demo's, topped up to this. */
export const BENCH_COLLECTIVES = 50;
/** The shared PostgreSQL the benchmarks make their own databases in (never touching anyone else's). */
export const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Tops the demo cooperative up to BENCH_COLLECTIVES commons collectives of five members each. */
async function addBenchCollectives(prisma: PrismaClient): Promise<void> {
  const existing = await prisma.collective.count();
  const members = await prisma.member.findMany({
    where: { situation: 'ACTIVE' },
    select: { id: true },
    orderBy: { email: 'asc' },
  });
  const now = new Date();
  for (let i = existing; i < BENCH_COLLECTIVES; i += 1) {
    const group = Array.from({ length: 5 }, (_, k) => members[(i * 3 + k * 7) % members.length]?.id as string);
    const unique = [...new Set(group)];
    await prisma.collective.create({
      data: {
        id: randomUUID(),
        slug: `banc-${i}`,
        name: `Collectif de banc d’essai ${i}`,
        kind: 'COMMONS',
        status: 'ACTIVE',
        openness: 'OPEN',
        purpose: 'Mesurer la lecture des listes imbriquées.',
        proposedById: unique[0] as string,
        memberships: {
          create: unique.map((memberId, k) => ({
            memberId,
            role: k === 0 ? ('ANIMATOR' as const) : ('MEMBER' as const),
            status: 'ACTIVE' as const,
            origin: k === 0 ? ('FOUNDER' as const) : ('JOINED' as const),
            joinedAt: now,
          })),
        },
      },
    });
  }
}

async function fill(db: Database): Promise<void> {
  await migrate(db.sql);
  await seedDemoData(db.prisma);
  await addBenchCollectives(db.prisma);
}

/** A seeded embedded database folder, copied for each server so every run starts from the same data. */
export class PgliteTemplate {
  private constructor(readonly dir: string) {}

  static async create(): Promise<PgliteTemplate> {
    const dir = mkdtempSync(join(tmpdir(), 'collectifs-bench-template-'));
    const db = await openDatabase({ dataDir: dir });
    try {
      await fill(db);
    } finally {
      await db.close();
    }
    return new PgliteTemplate(dir);
  }

  /** A fresh copy of the seeded folder (removed by `dispose`). */
  copy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'collectifs-bench-data-'));
    cpSync(this.dir, dir, { recursive: true });
    return dir;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Whether the machine's PostgreSQL answers (the PostgreSQL figures are skipped, and say so, when not). */
export async function postgresAvailable(): Promise<boolean> {
  try {
    await admin((client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** A seeded PostgreSQL database of our own, cloned (`CREATE DATABASE … TEMPLATE`) for each run. */
export class PostgresTemplate {
  readonly #copies: string[] = [];

  private constructor(readonly name: string) {}

  static async create(): Promise<PostgresTemplate> {
    const name = `collectifs_bench_${randomBytes(5).toString('hex')}`;
    await admin((client) => client.query(`CREATE DATABASE "${name}"`));
    const db = await openDatabase({ databaseUrl: urlOf(name) });
    try {
      await fill(db);
    } finally {
      await db.close();
    }
    return new PostgresTemplate(name);
  }

  /** The URL of a fresh clone of the seeded database. */
  async copy(): Promise<string> {
    const name = `${this.name}_${this.#copies.length}`;
    await admin((client) => client.query(`CREATE DATABASE "${name}" TEMPLATE "${this.name}"`));
    this.#copies.push(name);
    return urlOf(name);
  }

  async dispose(): Promise<void> {
    await admin(async (client) => {
      for (const name of [...this.#copies, this.name]) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    });
  }
}

export function urlOf(database: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}
