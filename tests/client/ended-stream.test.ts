import { Client, type Exchange, type OperationResult, subscriptionExchange } from 'urql';
import { describe, expect, it } from 'vitest';
import { endedStreamExchange, finalStreamCode, toSubscriptionError } from '../../client/src/client.js';
import { testAppForFile } from '../support/app.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// A stream the server ends (graphql-ws `error` message, here `ACCESS_REVOKED` as the member leaves the collective),
// read through urql as the web app reads it. urql's subscriptionExchange merges the error into the stream's last
// result, data included: a consumer reading `data` first took the previous event for a new one (the section editor
// stayed "connected" once its access was revoked, attack report F1). endedStreamExchange drops that data.
const t = testAppForFile();

const ACTIVITY = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) {
  __typename ... on ActivityEvent { type position } } }`;

/** A urql client over a real graphql-ws socket, as the app's (`createGraphqlSession`), with `exchanges` above it. */
function clientOver(token: string, exchanges: Exchange[]) {
  const ws = t.ws(token, { lazy: true });
  const client = new Client({
    url: `${t.url}/graphql`,
    exchanges: [
      ...exchanges,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: ws.subscribe<Record<string, unknown>, Record<string, unknown>>(
              { ...request, query: request.query ?? '' },
              {
                next: (value) => sink.next(value),
                complete: () => sink.complete(),
                error: (e) => sink.error(toSubscriptionError(e)),
              },
            ),
          }),
        }),
      }),
    ],
  });
  return { client, close: () => ws.dispose() };
}

/** Follows the collective's activity as `member`, sees one event, then the member leaves: the stream's results. */
async function followUntilLeft(withExchange: boolean): Promise<OperationResult[]> {
  // The previous test's stream released first: the count below is this one's.
  await until(() => t.app.live.streamCount === 0);
  const [animator, member] = await Promise.all([makeMember(t.db.prisma), makeMember(t.db.prisma)]);
  const collective = await makeCollective(t.db.prisma, {
    animatorId: animator.id,
    memberIds: [member.id],
    kind: 'BUSINESS',
    horizon: 'LONG_TERM',
  });
  const id = gid('Collective', collective.id);
  const token = await t.tokenFor(member.id);
  const { client, close } = clientOver(token, withExchange ? [endedStreamExchange()] : []);
  const results: OperationResult[] = [];
  const subscription = client.subscription(ACTIVITY, { id }).subscribe((result) => results.push(result));
  try {
    // The stream runs once the server counts it: a change made then reaches it.
    await until(() => t.app.live.streamCount > 0);
    const changed = await t.gql(
      'mutation($id: ID!) { updateCollective(input: { id: $id, purpose: "Un nouvel objet" }) { __typename } }',
      { id },
      await t.tokenFor(animator.id),
    );
    expect(changed.data?.updateCollective.__typename).toBe('MutationUpdateCollectiveSuccess');
    await until(() => results.some((result) => result.data));
    const left = await t.gql(
      'mutation($id: ID!) { leaveCollective(input: { collectiveId: $id }) { __typename } }',
      { id },
      token,
    );
    expect(left.data?.leaveCollective.__typename).toBe('MutationLeaveCollectiveSuccess');
    await until(() => results.some((result) => result.error));
    return results;
  } finally {
    subscription.unsubscribe();
    close();
  }
}

describe('A stream the server ends, read through urql', () => {
  it('carries its error without the previous event’s data', async () => {
    const results = await followUntilLeft(true);
    const ended = results.at(-1);
    expect(finalStreamCode(ended?.error)).toBe('ACCESS_REVOKED');
    expect(ended?.data).toBeUndefined();
    // The event before it was delivered as it came.
    expect(results.filter((result) => result.data && !result.error).length).toBeGreaterThan(0);
  });

  it('would repeat the previous event’s data with the error without endedStreamExchange (why it exists)', async () => {
    const results = await followUntilLeft(false);
    const ended = results.at(-1);
    expect(finalStreamCode(ended?.error)).toBe('ACCESS_REVOKED');
    expect(ended?.data).toBe(results.at(-2)?.data);
  });
});
