import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { type Inbox, subscribe, wsClient } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';

// Issue 11: an event is loaded for its subscribers once, not once per subscriber: the statements a change
// costs, delivered with its actor (the web app's selection), are the same for one subscriber and for five.
const statements: string[] = [];
let t: TestApp;
let url: string;

const ACTIVITY = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename
  ... on ActivityEvent { position type payload actor { id displayName } } } }`;
const RENAME = `mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }`;

beforeAll(async () => {
  t = await createTestApp({ onQuery: (sql) => statements.push(sql) });
  url = await t.app.start();
});
afterAll(() => t.close());

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

describe('Fan-out', () => {
  it('runs the same statements for a change whether one or five sockets follow the collective', async () => {
    const animator = await makeMember(t.db.prisma, { firstName: 'Ada', lastName: 'Lovelace' });
    const collective = await makeCollective(t.db.prisma, { animatorId: animator.id });
    const token = await t.tokenFor(animator.id);
    const clients: Client[] = [];
    const inboxes: Inbox[] = [];
    const follow = async () => {
      const client = wsClient(url, token, { lazy: false });
      clients.push(client);
      inboxes.push(subscribe(client, ACTIVITY, { id: gid('Collective', collective.id) }).inbox);
      await until(() => t.app.live.streamCount === inboxes.length);
    };
    /** Renames the collective and returns the statements run until every subscriber has the event. */
    const rename = async (name: string) => {
      const seen = inboxes.map((inbox) => inbox.received.length);
      statements.length = 0;
      const result = await t.gql(RENAME, { id: gid('Collective', collective.id), n: name }, token);
      expect(result.errors).toBeUndefined();
      const messages = await Promise.all(inboxes.map((inbox, i) => inbox.waitFor((seen[i] as number) + 1)));
      for (const [i, received] of messages.entries()) {
        const event = received[seen[i] as number].collectiveActivity;
        expect(event.payload.name).toBe(name);
        expect(event.actor.displayName).toBe('Ada Lovelace');
      }
      return [...statements];
    };
    try {
      await follow();
      await rename('Un abonné');
      const one = await rename('Un abonné, encore');
      for (let i = 1; i < 5; i += 1) await follow();
      const five = await rename('Cinq abonnés');
      // Reads of the log itself are shared by every subscriber of the instance; how many rounds a burst takes
      // depends on timing, so they are left out of the comparison.
      const perChange = (run: string[]) => run.filter((sql) => !/FROM "public"\."EventLog" WHERE/.test(sql));
      expect(perChange(five).length, five.join('\n')).toBe(perChange(one).length);
      // The actor is read once for all of them.
      expect(five.filter((sql) => /FROM "public"\."Member" WHERE/.test(sql)).length, five.join('\n')).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
    }
  });
});
