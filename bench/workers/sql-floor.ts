// The floor of the nested query: the same data (50 collectives, their active memberships and members) read
// by one hand-written SQL statement that builds the JSON answer, behind `node:http`. No GraphQL, no ORM.
import { createServer } from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { serveCommands } from '../lib/processes.js';

export const NESTED_SQL = `
SELECT json_build_object('data', json_build_object('collectives', json_build_object(
  'totalCount', (SELECT count(*) FROM "Collective"),
  'edges', (
    SELECT coalesce(json_agg(json_build_object('node', json_build_object(
      'name', c.name,
      'memberships', json_build_object(
        'totalCount', (SELECT count(*) FROM "Membership" m WHERE m."collectiveId" = c.id AND m.status = 'ACTIVE'),
        'edges', (
          SELECT coalesce(json_agg(json_build_object('node', json_build_object(
            'role', x.role, 'status', x.status,
            'member', json_build_object('displayName', x."firstName" || ' ' || x."lastName", 'sectors', x.sectors)
          )) ORDER BY x.role, x."joinedAt", x.id), '[]'::json)
          FROM (
            SELECT m.id, m.role, m.status, m."joinedAt", mb."firstName", mb."lastName", mb.sectors
            FROM "Membership" m JOIN "Member" mb ON mb.id = m."memberId"
            WHERE m."collectiveId" = c.id AND m.status = 'ACTIVE'
            ORDER BY m.role, m."joinedAt", m.id LIMIT 50
          ) x
        )
      )
    )) ORDER BY c.name, c.id), '[]'::json)
    FROM (SELECT id, name FROM "Collective" ORDER BY name, id LIMIT 50) c
  )
))) AS body`;

serveCommands({
  /** Listens on a free port over the given database; resolves with the URL to POST to. */
  start: async (args: { dataDir?: string; databaseUrl?: string }) => {
    let query: () => Promise<string>;
    if (args.databaseUrl) {
      const pool = new pg.Pool({ connectionString: args.databaseUrl, max: 10 });
      query = async () => JSON.stringify((await pool.query<{ body: unknown }>(NESTED_SQL)).rows[0]?.body);
    } else {
      const db = await PGlite.create(args.dataDir as string);
      query = async () => JSON.stringify((await db.query<{ body: unknown }>(NESTED_SQL)).rows[0]?.body);
    }
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        query().then(
          (body) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(body);
          },
          (error: unknown) => {
            response.writeHead(500);
            response.end(String(error));
          },
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  },
});
