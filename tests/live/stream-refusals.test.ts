import { afterEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { GENEROUS_LIMITS_ENV, loadConfig } from '../../server/src/config.js';
import { logger } from '../../server/src/observability/log.js';
import { testAppForFile } from '../support/app.js';
import { frenchProblems } from '../support/french.js';
import { errorCodes, open, type Transport } from '../support/live.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

// A subscription the server refuses (a collective one may not follow, an id that names nothing) answers a typed
// error and ends at once, on every transport, and frees its place: as many refusals as a member has stream places,
// and more, leave their next valid stream openable. A refusal is the caller's doing: never logged as a server error.

/** SSE streams a member may hold at once: the refusals below outnumber them. */
const STREAM_LIMIT = 3;
const t = testAppForFile({
  config: { limits: loadConfig({ ...GENEROUS_LIMITS_ENV, SSE_MAX_STREAMS_PER_USER: String(STREAM_LIMIT) }).limits },
});
let errors: MockInstance;
let fatals: MockInstance;
afterEach(() => {
  vi.restoreAllMocks();
});

const ACTIVITY = 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename } }';
const NODE = 'subscription($id: ID!) { nodeChanges(id: $id) { __typename } }';
const FEED = 'subscription { myFeed { __typename } }';

const TRANSPORTS: Transport[] = ['ws', 'sse', 'sse-single', 'sse-distinct'];

describe.each(TRANSPORTS)('Refused subscriptions over %s', (transport) => {
  it('should each end with its typed French error, free its place and log no server error', async () => {
    errors = vi.spyOn(logger, 'error');
    fatals = vi.spyOn(logger, 'fatal');
    const outsider = await makeMember(t.db.prisma);
    const animator = await makeMember(t.db.prisma);
    const business = await makeCollective(t.db.prisma, { animatorId: animator.id, kind: 'BUSINESS', openness: 'CLOSED' });
    const token = await t.tokenFor(outsider.id);
    const refused: [string, Record<string, unknown>, string][] = [
      [ACTIVITY, { id: gid('Collective', business.id) }, 'FORBIDDEN'],
      [ACTIVITY, { id: gid('Collective', '00000000-0000-4000-8000-000000000000') }, 'NOT_FOUND'],
      [ACTIVITY, { id: 'nope' }, 'NOT_FOUND'],
      [NODE, { id: gid('Collective', '00000000-0000-4000-8000-000000000000') }, 'NOT_FOUND'],
    ];
    // One after another, more of them than the member has places: each must have freed its own.
    for (let round = 0; round <= STREAM_LIMIT; round += 1) {
      for (const [query, variables, code] of refused) {
        const { inbox, stop } = open(transport, t.url, token, query, variables);
        await inbox.waitForEnd();
        expect(errorCodes(inbox), `${query} ${JSON.stringify(variables)}`).toEqual([code]);
        expect(frenchProblems(transport, inbox.errors.flat() as never)).toEqual([]);
        await stop();
      }
    }
    // The member's valid stream opens (no RATE_LIMITED: the refused ones hold nothing).
    const feed = open(transport, t.url, token, FEED);
    await until(
      () => t.app.live.streamCount === 1 || feed.inbox.errors.length > 0,
      () => `myFeed opened: ${t.app.live.streamCount} streams`,
    );
    expect(feed.inbox.errors).toEqual([]);
    await feed.stop();
    await until(
      () => t.app.live.streamCount === 0,
      () => `streams released: ${t.app.live.streamCount}`,
    );
    const logged = [...errors.mock.calls, ...fatals.mock.calls].map((call) => JSON.stringify(call).slice(0, 300));
    expect(logged).toEqual([]);
  }, 240_000);
});
