import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { type App, buildApp } from '../../server/src/app.js';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { pruneEventLog } from '../../server/src/events/prune.js';
import { testAppForFile } from '../support/app.js';
import { errorCodes, subscribe, wsClient } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

const t = testAppForFile();
const started: App[] = [];
afterAll(async () => {
  for (const app of started) await app.stop();
});

const ACTIVITY =
  'subscription($c: ID!, $after: String) { collectiveActivity(collectiveId: $c, after: $after) { __typename ... on ActivityEvent { position type } ... on ResyncRequired { reason resumeAfter } } }';
const HISTORY = 'query($c: ID) { activity(collectiveId: $c, first: 5) { edges { node { position } } livePosition } }';

/**
 * Attack of stop 24 (on de4cb23): the retention prune (`pruneEventLog`, hourly, EVENT_RETENTION_DAYS) may delete every row of the
 * log of a quiet cooperative. An instance started then (a restart, a second instance) starts its bus at position 0
 * (`EventBus.start`: the last row's position, or 0), and its history's `livePosition` reads the last row too (0).
 * A client resuming after the last event it saw (a real position, exactly the horizon, so nothing was missed) is now
 * refused BAD_USER_INPUT ("past the log's end"), which the web app never retries; and a client that follows the
 * documented resume (history, then `after: livePosition`) gets `after: 0`, below the horizon: LOG_TRUNCATED with no
 * `resumeAfter`, so it re-queries and is told the same again, for ever.
 */
describe('A log pruned to nothing', () => {
  it('should let a client resume after the last event it saw, on an instance started after the prune', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const id = gid('Collective', collective.id);
    const changed = await t.gql(
      'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
      { i: { id, purpose: 'Avant la purge' } },
      token,
    );
    expect(changed.data?.updateCollective.__typename, JSON.stringify(changed)).toBe('MutationUpdateCollectiveSuccess');
    const last = (await t.db.prisma.eventLog.aggregate({ _max: { position: true } }))._max.position ?? 0n;
    expect(last).toBeGreaterThan(0n);
    // Every event is older than the retention (a cooperative quiet for 90 days): all pruned.
    expect(await pruneEventLog(t.db.prisma, new Date(Date.now() + 60_000))).toBe(last);
    expect(await t.db.prisma.eventLog.count()).toBe(0);

    // Restarted (or a second instance started) after the prune.
    const restarted = await buildApp({ ...loadConfig({ ...GENEROUS_LIMITS_ENV }), port: 0, seedWhenEmpty: false }, { db: t.db });
    started.push(restarted);
    const url = await restarted.start();
    const client = wsClient(url, token);
    onTestFinished(() => client.dispose());
    const resumed = subscribe(client, ACTIVITY, { c: id, after: String(last) });
    onTestFinished(() => resumed.stop());
    await until(
      () => restarted.events.subscriberCount >= 1 || resumed.inbox.errors.length > 0,
      'the resumed stream live, or refused',
    );
    // Before: refused BAD_USER_INPUT, `after` being "past the log's end" (0 on the restarted instance).
    expect(errorCodes(resumed.inbox)).toEqual([]);
  });

  it('should give a history livePosition a client can resume after without a resync loop', async () => {
    const member = await makeMember(t.db.prisma);
    const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
    const token = await t.tokenFor(member.id);
    const id = gid('Collective', collective.id);
    await t.gql(
      'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
      { i: { id, purpose: 'Avant la purge, encore' } },
      token,
    );
    await t.app.events.sync();
    await pruneEventLog(t.db.prisma, new Date(Date.now() + 60_000));
    expect(await t.db.prisma.eventLog.count()).toBe(0);
    const history = await t.gql(HISTORY, { c: id }, token);
    const livePosition = String(history.data?.activity.livePosition);
    const client = wsClient(t.url, token);
    onTestFinished(() => client.dispose());
    const live = subscribe(client, ACTIVITY, { c: id, after: livePosition });
    onTestFinished(() => live.stop());
    await until(() => t.app.events.subscriberCount >= 1 || live.inbox.errors.length > 0, 'the stream open');
    await t.gql(
      'mutation($i: UpdateCollectiveInput!) { updateCollective(input: $i) { __typename } }',
      { i: { id, purpose: 'Après la purge' } },
      token,
    );
    const [first] = await live.inbox.waitFor(1);
    // Before: livePosition "0", and the stream's first message is LOG_TRUNCATED (resumeAfter null): the client
    // re-queries, gets "0" again, and never goes live.
    expect(JSON.stringify(first)).toContain('collective.updated');
    expect(livePosition).not.toBe('0');
  });
});
