import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PostgresService, type Service, startPostgres, startRedis } from '../support/services.js';

/** Sends one inline Redis command over a fresh connection and returns the first reply line. */
async function redis(port: number, command: string): Promise<string> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.split('\r\n')[0] ?? '');
      }
    });
  });
}

async function query(url: string, text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('Throwaway PostgreSQL', () => {
  let postgres: PostgresService;
  let url: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase();
  });
  afterAll(async () => {
    await postgres?.dispose();
  });

  it('should keep its data across a clean stop and a start on the same port', async () => {
    await query(url, 'CREATE TABLE kept (value int); INSERT INTO kept VALUES (1)');
    await postgres.stop();
    expect(postgres.running).toBe(false);
    await expect(query(url, 'SELECT 1')).rejects.toThrow();
    await postgres.start();
    expect((await query(url, 'SELECT value FROM kept')).rows).toEqual([{ value: 1 }]);
  });

  it('should recover every committed row after a SIGKILL', async () => {
    await query(url, 'INSERT INTO kept SELECT generate_series(2, 100)');
    const holder = new pg.Client({ connectionString: url });
    holder.on('error', () => {});
    await holder.connect(); // a live backend at the moment of the crash
    await postgres.kill();
    await postgres.start();
    expect((await query(url, 'SELECT count(*)::int AS n FROM kept')).rows).toEqual([{ n: 100 }]);
    await holder.end().catch(() => {});
  });

  it('should run psql against the cluster, as the tests read rows back with SQL', () => {
    expect(postgres.psql('SELECT 40 + 2').trim()).toBe('42');
  });
});

describe('Throwaway Redis', () => {
  let service: Service;

  beforeAll(async () => {
    service = await startRedis();
  });
  afterAll(async () => {
    await service?.dispose();
  });

  it('should answer, stop, refuse connections, and answer again on the same port', async () => {
    expect(await redis(service.port, 'PING')).toBe('+PONG');
    await service.stop();
    await expect(redis(service.port, 'PING')).rejects.toThrow();
    await service.start();
    expect(await redis(service.port, 'PING')).toBe('+PONG');
    await service.kill();
    expect(service.running).toBe(false);
    await service.start();
    expect(await redis(service.port, 'PING')).toBe('+PONG');
  });
});
