import { Client, fetchExchange } from 'urql';
import { describe, expect, it } from 'vitest';
import { authExchange, isSessionError } from '../../client/src/client.js';
import { testAppForFile } from '../support/app.js';
import { makeMember } from '../support/scenario.js';

// The web app's auth exchange against the real server: it adds the bearer token to every operation and
// reports a session the server no longer accepts, so the app can send the person back to sign in.
const t = testAppForFile();

function clientWith(token: () => string | null, onSessionLost: () => void): Client {
  return new Client({
    url: `${t.url}/graphql`,
    exchanges: [authExchange({ getToken: token, onSessionLost }), fetchExchange],
    preferGetMethod: false,
  });
}

describe('Auth exchange', () => {
  it('should send the token so the server knows the viewer', async () => {
    const member = await makeMember(t.db.prisma, { firstName: 'Inès', lastName: 'Roux' });
    const token = await t.tokenFor(member.id);
    let lost = 0;
    const result = await clientWith(
      () => token,
      () => (lost += 1),
    )
      .query('{ viewer { displayName } }', {})
      .toPromise();
    expect(result.data).toEqual({ viewer: { displayName: 'Inès Roux' } });
    expect(lost).toBe(0);
  });

  it('should report a lost session once the token is signed out, and not before', async () => {
    const member = await makeMember(t.db.prisma);
    const token = await t.tokenFor(member.id);
    let lost = 0;
    const client = clientWith(
      () => token,
      () => (lost += 1),
    );
    expect((await client.query('{ collectives(first: 1) { totalCount } }', {}).toPromise()).error).toBeUndefined();
    expect((await client.mutation('mutation { signOut }', {}).toPromise()).data).toEqual({ signOut: true });
    const refused = await client.query('{ collectives(first: 1) { totalCount } }', {}).toPromise();
    expect(isSessionError(refused.error)).toBe(true);
    expect(lost).toBe(1);
  });

  it('should send nothing when signed out', async () => {
    let lost = 0;
    const result = await clientWith(
      () => null,
      () => (lost += 1),
    )
      .query('{ viewer { id } }', {})
      .toPromise();
    expect(result.data).toEqual({ viewer: null });
    expect(lost).toBe(0);
  });
});
