import { request as httpRequest, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { testAppForFile } from '../support/app.js';
import { paragraphUpdate, pushOverHttp, sectionScenario } from '../support/collab.js';
import { readSseEvents } from '../support/live.js';
import { gid } from '../support/scenario.js';
import { until, WAIT_TIMEOUT_MS } from '../support/waits.js';

/**
 * An operation id reused on one graphql-sse single-connection stream (issue 10, as tests/live/operation-ids.test.ts
 * over graphql-ws): a POST naming a running operation is refused (409 CONFLICT) and changes nothing; one naming an
 * operation just stopped (DELETE) waits for its release, is accepted (202), gets none of the old operation's
 * events (its trailing `complete` included) and stays stoppable, so nothing leaks and the stream caps count right.
 */
const t = testAppForFile();
const SYNC = 'subscription($s: ID!) { sectionSync(sectionId: $s) { kind update } }';
const ROUNDS = 15;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Results the app's graphql-sse streams hold unread: produced, not yet taken by a response (`/metrics`). */
async function unreadResults(): Promise<number> {
  const value = (await t.app.metrics.registry.getSingleMetric('collectifs_sse_unread_results')?.get())?.values[0]?.value;
  if (value === undefined) throw new Error('no collectifs_sse_unread_results gauge');
  return value;
}

interface StreamEvent {
  event: string;
  id?: string;
  update?: string;
}

describe('an operation id reused on a graphql-sse stream', () => {
  it('refuses a running id, and one just stopped waits for its release and never gets its events', async () => {
    const { members, response, section: a } = await sectionScenario(t.db.prisma);
    const b = await t.db.prisma.tenderSection.create({
      data: { responseId: response.id, kind: 'PROJECT_DESCRIPTION', title: 'B', position: 2 },
    });
    const member = members[0];
    if (!member) throw new Error('no member');
    const token = await t.tokenFor(member.id);
    const authorization = `Bearer ${token}`;
    const endpoint = `${t.url}/graphql/stream`;
    // Every request of the test is aborted in `finally`, the event stream included: nothing outlives a failure.
    const aborts: AbortController[] = [];
    const request = (init: RequestInit) => {
      const abort = new AbortController();
      aborts.push(abort);
      return fetch(endpoint, { ...init, signal: abort.signal });
    };
    try {
      const reserved = await request({ method: 'PUT', headers: { authorization } });
      expect(reserved.status).toBe(201);
      const streamHeader = { 'x-graphql-event-stream-token': await reserved.text() };
      const opened = await request({ headers: { accept: 'text/event-stream', authorization, ...streamHeader } });
      expect(opened.status).toBe(200);
      const events: StreamEvent[] = [];
      const waiters: Array<() => void> = [];
      let ended: string | undefined;
      const wake = () => {
        for (const waiter of waiters.splice(0)) waiter();
      };
      void (async () => {
        await readSseEvents(opened.body as ReadableStream<Uint8Array>, (event, data) => {
          if (event && data) {
            const parsed = JSON.parse(data) as { id?: string; payload?: { data?: { sectionSync?: { update?: string } } } };
            events.push({ event, id: parsed.id, update: parsed.payload?.data?.sectionSync?.update });
          }
          wake();
          return true;
        });
        ended = 'the event stream ended';
        wake();
      })().catch((error: unknown) => {
        ended = `the event stream failed: ${String(error)}`;
        wake();
      });
      /** Resolves once an event passes `test`; fails if the stream ends or after the safety deadline. */
      const event = async (test: (e: StreamEvent, index: number) => boolean) => {
        const deadline = Date.now() + WAIT_TIMEOUT_MS;
        while (!events.some(test)) {
          if (ended) throw new Error(ended);
          if (Date.now() > deadline) throw new Error(`no such event among ${JSON.stringify(events)}`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
            waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      };
      const post = async (id: string, section: string) => {
        const answer = await request({
          method: 'POST',
          headers: { authorization, ...streamHeader, 'content-type': 'application/json' },
          body: JSON.stringify({ query: SYNC, variables: { s: gid('TenderSection', section) }, extensions: { operationId: id } }),
        });
        const text = await answer.text();
        return {
          status: answer.status,
          body: text ? (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> }) : null,
        };
      };
      const stopUrl = (id: string) => `${endpoint}?operationId=${encodeURIComponent(id)}`;
      const stopById = async (id: string) => {
        const abort = new AbortController();
        aborts.push(abort);
        const answer = await fetch(stopUrl(id), {
          method: 'DELETE',
          headers: { authorization, ...streamHeader },
          signal: abort.signal,
        });
        await answer.body?.cancel();
        return answer.status;
      };

      // A POST naming an operation that runs is refused, and that operation goes on, still stoppable.
      expect((await post('1', a.id)).status).toBe(202);
      await event((e) => e.id === '1' && e.event === 'next');
      const duplicate = await post('1', b.id);
      expect(duplicate.status).toBe(409);
      expect(duplicate.body?.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(await stopById('1')).toBe(200);
      await until(
        () => t.app.live.streamCount === 0 && t.app.documents.listenerCount === 0,
        () => `the refused duplicate's release: streams=${t.app.live.streamCount} listeners=${t.app.documents.listenerCount}`,
        { timeoutMs: 15_000 },
      );

      const leaks: string[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const start = events.length;
        expect((await post('1', a.id)).status).toBe(202);
        await event((e, index) => index >= start && e.id === '1' && e.event === 'next');
        const sinceA = events.length;
        // The reuse right after the stop's answer (two requests on two connections would arrive in either order):
        // graphql-sse answers the DELETE before the stopped operation has released.
        expect(await stopById('1')).toBe(200);
        expect((await post('1', b.id)).status).toBe(202);
        await event((e, index) => index >= sinceA && e.id === '1' && e.event === 'next');
        const secretA = paragraphUpdate(`secret A ${round}`);
        const markerB = paragraphUpdate(`marker B ${round}`);
        expect(await pushOverHttp(t, token, a.id, secretA)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
        expect(await pushOverHttp(t, token, b.id, markerB)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
        // Pushes are delivered in order of the event log: once B's marker is here, A's update was sent if it ever would be.
        await event((e, index) => index >= sinceA && e.update === b64(markerB));
        const after = events.slice(sinceA);
        const leaked = after.filter((e) => e.update === b64(secretA)).length;
        // The server never completes "1" on its own: a `complete` now would be the stopped operation's, said of the new one.
        const completes = after.filter((e) => e.event === 'complete').length;
        if (leaked > 0 || completes > 0)
          leaks.push(`round ${round}: ${leaked} event(s) of A, ${completes} complete(s) under "1"`);
        expect(await stopById('1')).toBe(200);
      }
      // Each DELETE released its own operation, with no event happening (the stream stays open).
      await until(
        () => t.app.live.streamCount === 0 && t.app.documents.listenerCount === 0,
        () => `the release: streams=${t.app.live.streamCount} listeners=${t.app.documents.listenerCount}`,
        { timeoutMs: 15_000 },
      );
      expect(leaks).toEqual([]);
      expect(ended).toBeUndefined();
    } finally {
      for (const abort of aborts) abort.abort();
    }
  }, 180_000);

  it('keeps an id stopped twice silent while the client reads slowly (trailing events of the second never pass)', async () => {
    // Review C3 (issue 10): the stream drops a stopped operation's events until its `complete` passes. An id stopped,
    // reused and stopped again before the reader reached the first `complete` was one silence for two operations:
    // the first `complete` lifted it, and the second operation's queued events and `complete` reached the client.
    const { members, response, section: a } = await sectionScenario(t.db.prisma);
    const [b, filler] = await Promise.all(
      ['B', 'Filler'].map((title, index) =>
        t.db.prisma.tenderSection.create({
          data: { responseId: response.id, kind: 'PROJECT_DESCRIPTION', title, position: index + 2 },
        }),
      ),
    );
    const member = members[0];
    if (!member || !b || !filler) throw new Error('no member or section');
    const token = await t.tokenFor(member.id);
    const authorization = `Bearer ${token}`;
    const endpoint = `${t.url}/graphql/stream`;
    const alpha = paragraphUpdate('alpha');
    const beta = paragraphUpdate('beta');
    expect(await pushOverHttp(t, token, a.id, alpha)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
    expect(await pushOverHttp(t, token, b.id, beta)).toMatchObject({ __typename: 'MutationPushSectionUpdateSuccess' });
    let stream: IncomingMessage | undefined;
    try {
      const reserved = await fetch(endpoint, { method: 'PUT', headers: { authorization } });
      expect(reserved.status).toBe(201);
      const streamToken = await reserved.text();
      const streamHeader = { 'x-graphql-event-stream-token': streamToken };
      // The event stream over node:http, paused at once: the client reads nothing until the end of the test.
      stream = await new Promise<IncomingMessage>((resolve, reject) => {
        const opening = httpRequest(
          endpoint,
          { headers: { accept: 'text/event-stream', authorization, ...streamHeader } },
          (res) => {
            res.pause();
            resolve(res);
          },
        );
        opening.on('error', reject);
        opening.end();
      });
      expect(stream.statusCode).toBe(200);
      const post = async (id: string, section: string) =>
        (
          await fetch(endpoint, {
            method: 'POST',
            headers: { authorization, ...streamHeader, 'content-type': 'application/json' },
            body: JSON.stringify({
              query: SYNC,
              variables: { s: gid('TenderSection', section) },
              extensions: { operationId: id },
            }),
          })
        ).status;
      const stop = async (id: string) =>
        (
          await fetch(`${endpoint}?operationId=${encodeURIComponent(id)}`, {
            method: 'DELETE',
            headers: { authorization, ...streamHeader },
          })
        ).status;

      // Fill the connection with another operation's events the client does not read, until the server holds 16 of
      // them (12.8 MB) unread: whatever follows then queues on the server, behind them. A fixed amount proved nothing:
      // loopback's socket buffers took in 4.8 MB at once in one run, and in another 4.8 MB more seconds after the
      // stream had stalled, so six fillers (the test's old amount) let the first operation's `next` out before its
      // DELETE, rightly sent, and read under the reused id (failing every attempt once pushes were timed otherwise).
      expect(await post('filler', filler.id)).toBe(202);
      for (let index = 0; (await unreadResults()) < 16; index += 1) {
        if (index >= 64) throw new Error('64 pushes of 600 KB never filled the connection');
        expect(await pushOverHttp(t, token, filler.id, paragraphUpdate(`${index % 10}`.repeat(600_000)))).toMatchObject({
          __typename: 'MutationPushSectionUpdateSuccess',
        });
      }
      // "a" runs on A, is stopped, runs again on A and is stopped again, then runs on B: all queued behind the filler.
      expect(await post('a', a.id)).toBe(202);
      expect(await stop('a')).toBe(200);
      expect(await post('a', a.id)).toBe(202);
      expect(await stop('a')).toBe(200);
      expect(await post('a', b.id)).toBe(202);
      expect(await stop('filler')).toBe(200);

      // Now read everything: the events under "a" are the last operation's only (B's text), none of A's, no complete.
      const underA: Array<{ event: string; update?: string }> = [];
      await readSseEvents(Readable.toWeb(stream) as ReadableStream<Uint8Array>, (event, data) => {
        if (!event || !data) return true;
        const parsed = JSON.parse(data) as { id?: string; payload?: { data?: { sectionSync?: { update?: string } } } };
        if (parsed.id !== 'a') return true;
        underA.push({ event, update: parsed.payload?.data?.sectionSync?.update });
        // B's state reached the client: whatever the stopped operations would have said came before it.
        return event !== 'next';
      });
      expect(underA.map((e) => e.event)).toEqual(['next']);
      const state = Buffer.from(underA[0]?.update ?? '', 'base64');
      expect(state.includes(Buffer.from('beta'))).toBe(true);
      expect(state.includes(Buffer.from('alpha'))).toBe(false);
    } finally {
      stream?.destroy();
    }
  }, 180_000);
});
