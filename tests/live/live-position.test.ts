import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { subscribe, wsClient } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

// Issue 10 item 9: every query answer tells the log position it reflects (`extensions.livePosition`, read no
// later than its data), and subscribing with `after` that position misses nothing committed since.

const t = testAppForFile();

const ACTIVITY = `subscription($id: ID!, $after: String) {
  collectiveActivity(collectiveId: $id, after: $after) { __typename ... on ActivityEvent { position type } } }`;

describe('Live position', () => {
  it('should tell the position a query reflects, so a subscription from it replays what came after', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const response = await t.post(
      'query($slug: String!) { collective(slug: $slug) { purpose } }',
      { slug: collective.slug },
      token,
    );
    const position: string | undefined = response.extensions?.livePosition;
    expect(position).toMatch(/^\d+$/);

    // A change committed after the query, before anyone subscribed.
    const changed = await t.gql(
      'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Après la requête" }) { __typename } }',
      { id: gid('Collective', collective.id) },
      token,
    );
    expect(changed.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');

    const client = wsClient(t.url, token);
    try {
      const { inbox } = subscribe(client, ACTIVITY, { id: gid('Collective', collective.id), after: position });
      const [first] = await inbox.waitFor(1);
      expect(first.collectiveActivity.type).toBe('collective.updated');
      expect(BigInt(first.collectiveActivity.position)).toBeGreaterThan(BigInt(position as string));
    } finally {
      await client.dispose();
    }
  });

  it('should tell the position on every signed-in answer', async () => {
    const member = await makeMember(t.db.prisma);
    const result = await t.post('{ __typename }', {}, await t.tokenFor(member.id));
    expect(result.extensions?.livePosition).toBe(t.app.events.position.toString());
  });

  it("should not tell an anonymous caller the position (it would show anyone the cooperative's activity rate)", async () => {
    const query = await t.post('{ __typename }', {}, null);
    expect(query.data).toEqual({ __typename: 'Query' });
    expect(query.extensions?.livePosition).toBeUndefined();
    const signIn = await t.post(
      'mutation { signIn(input: { email: "personne@collectifs.coop", password: "x" }) { __typename } }',
      {},
      null,
    );
    expect(signIn.extensions?.livePosition).toBeUndefined();
  });
});
