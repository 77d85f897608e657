import { describe, expect, it, onTestFinished } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { logHead } from '../support/events.js';
import { subscribe, wsClient } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

const t = testAppForFile();

/**
 * Attack 3: a subscription whose `after` lies past the log's head (a cursor kept across a database restore, a client's
 * bug) was accepted, and every live event at or before it was skipped in silence: a healthy-looking stream that never
 * delivered. It is refused BAD_USER_INPUT; `after` at the head still resumes, and delivers what follows.
 */
describe('A subscription resuming after a position past the log', () => {
  it('should be refused BAD_USER_INPUT, while one resuming at the head receives what follows', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    await t.app.events.sync();
    const token = await t.tokenFor(member.id);
    const id = gid('Collective', collective.id);
    const head = await logHead(t.db.prisma);
    const client = wsClient(t.url, token);
    onTestFinished(() => client.dispose());
    const q =
      'subscription($c: ID!, $after: String) { collectiveActivity(collectiveId: $c, after: $after) { ... on ActivityEvent { position type } ... on ResyncRequired { reason } } }';
    const ahead = subscribe(client, q, { c: id, after: String(head + 1_000_000n) });
    const atHead = subscribe(client, q, { c: id, after: String(head) });
    onTestFinished(() => {
      ahead.stop();
      atHead.stop();
    });
    await until(() => ahead.inbox.errors.length > 0, 'the stream ahead of the log refused');
    expect(JSON.stringify(ahead.inbox.errors)).toContain('BAD_USER_INPUT');
    expect(ahead.inbox.received).toEqual([]);
    await until(() => t.app.events.subscriberCount >= 1, 'the stream at the head live');
    const changed = await t.gql(
      'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
      { i: { id, purpose: 'Après la tête' } },
      token,
    );
    expect(changed.data?.updateCollective.__typename, JSON.stringify(changed)).toBe('MutationUpdateCollectiveSuccess');
    await atHead.inbox.waitFor(1);
    expect(JSON.stringify(atHead.inbox.received[0])).toContain('collective.updated');
  });
});
