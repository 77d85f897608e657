import { defineConfig } from 'prisma/config';

// The server applies migrations itself (server/src/db/migrate.ts); this file serves `prisma generate`
// and, on a machine that has Prisma's schema engine, `prisma migrate` against DATABASE_URL.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/collectifs' },
});
