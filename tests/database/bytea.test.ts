import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../server/src/db/database.js';

// The raw statements' `bytea` parameters and results (converted natively on the embedded database).
describe('Bytes through the raw statements', () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: 'memory://' });
  }, 180_000);
  afterAll(() => db.close());

  it('should store and read back every byte value, also from a view into a larger buffer', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const larger = new Uint8Array(300).fill(7);
    larger.set(all, 20);
    const view = larger.subarray(20, 276);
    for (const bytes of [all, view, new Uint8Array(0)]) {
      const [row] = await db.sql.query<{ b: Uint8Array; n: number }>('SELECT $1::bytea AS b, length($1::bytea) AS n', [bytes]);
      expect(row?.n).toBe(bytes.byteLength);
      expect(row?.b).toBeInstanceOf(Uint8Array);
      expect([...(row?.b ?? [])]).toEqual([...bytes]);
    }
    const inTransaction = await db.sql.transaction((tx) => tx.query<{ b: Uint8Array }>('SELECT $1::bytea AS b', [view]));
    expect([...(inTransaction[0]?.b ?? [])]).toEqual([...all]);
  });
});
