import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import type { Json } from '../support/app.js';
import { testAppForFile } from '../support/app.js';
import { caughtUpCollective, logHead, recordUnannounced } from '../support/events.js';
import { open, type Transport } from '../support/live.js';
import { until } from '../support/waits.js';

const t = testAppForFile();
/**
 * A second instance on the same database, with a pub/sub of its own: what it commits never announces itself to the
 * first (as a notification lost while Redis was away), and the first is the one subscribed to, behind the log.
 */
let other: App;
beforeAll(async () => {
  other = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db: t.db });
});
afterAll(async () => {
  await other?.stop();
});

async function post(app: App, query: string, variables: Record<string, unknown>, token: string): Promise<Json> {
  const response = await app.fetch(
    new Request('http://collectifs.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    }),
  );
  return (await response.json()) as Json;
}

/**
 * Attack (attack1, finding 2): the documented resume (`activity { livePosition }`, then subscribe with
 * `after: livePosition`) on an instance that has not yet read events committed elsewhere (their notification lost:
 * Redis away): the stream's live part starts past what the instance delivered (its seam), below `after`, so the
 * events between the seam and `after`, which the history already showed, are delivered again
 * (reproduced: 288, 295, 302 delivered to a subscription with after: 307). A stream delivers nothing at or before
 * max(seam, after), on every transport.
 */
describe('Resuming after livePosition on an instance behind the log', () => {
  it.each<Transport>(['ws', 'sse', 'sse-single', 'sse-distinct'])(
    'should deliver nothing at or before `after` (%s)',
    async (transport) => {
      // No live stream left by an earlier attempt (its poll would read the log before this one subscribes).
      const { member, collective, token, id } = await caughtUpCollective(t);
      // Committed as by another instance whose notification was lost: nothing announces them here.
      for (let i = 0; i < 3; i += 1) await recordUnannounced(t.db.prisma, collective, member.id, `${collective.name} ${i}`);
      // The history, read on the other instance (as a client's load balancer may send it).
      const history = await post(
        other,
        'query($c: ID) { activity(collectiveId: $c, first: 10) { edges { node { position } } livePosition } }',
        { c: id },
        token,
      );
      const after = String(history.data?.activity.livePosition);
      const shown = history.data?.activity.edges.map((edge: Json) => edge.node.position) as string[];
      expect(shown.length, JSON.stringify(history)).toBeGreaterThanOrEqual(3);
      expect(t.app.events.position).toBeLessThan(BigInt(after));

      const { inbox, stop } = open(
        transport,
        t.url,
        token,
        'subscription($c: ID!, $after: String) { collectiveActivity(collectiveId: $c, after: $after) { ... on ActivityEvent { position type } } }',
        { c: id, after },
      );
      onTestFinished(stop);
      // Registered on the bus (its seam taken) before anything makes this instance read the log.
      await until(() => t.app.events.subscriberCount > 0, 'the subscription is live on the bus');
      // A change made now, announced: it arrives live, after anything this instance had not delivered yet.
      const changed = await t.gql(
        'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
        { i: { id, purpose: 'Après la reprise' } },
        token,
      );
      expect(changed.data?.updateCollective.__typename, JSON.stringify(changed)).toBe('MutationUpdateCollectiveSuccess');
      const position = await logHead(t.db.prisma);
      for (let n = 1; ; n += 1) {
        const received = await inbox.waitFor(n);
        if (BigInt(received[n - 1].collectiveActivity.position) >= position) break;
      }
      const delivered = inbox.received.map((message: Json) => message.collectiveActivity.position as string);
      // Exactly what came after `after`: those at or before it were in the history already.
      expect(delivered, `after ${after}, delivered in order: ${delivered.join(',')}`).toEqual([String(position)]);
    },
  );
});
