import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { recordEvent } from '../../server/src/events/record.js';
import { fanoutCounts } from '../../server/src/live/fanout.js';
import { testAppForFile } from '../support/app.js';
import { renamed } from '../support/events.js';
import { gid, makeCollective, makeMember } from '../support/scenario.js';
import { until } from '../support/waits.js';

const t = testAppForFile();

const ACTIVITY = `subscription($id: ID!) { collectiveActivity(collectiveId: $id) { __typename
  ... on ActivityEvent { position type payload } } }`;

/**
 * What the attack of stop 24 tried on 11fd0f2 / 7421b9a / 075a492 (it held; kept as a guard): shared results written as hand-built frames straight to the TCP socket,
 * corked until the turn's end, while the client does not read (its socket paused: the kernel's buffers fill and the
 * server's grow past the 1 MiB bound), several operations of one socket sharing each result. Once the client reads
 * again, every frame must parse, and each operation must have every event once, in the log's order.
 */
/**
 * Opens one socket of a new member with OPERATIONS subscriptions to their collective's activity, delivers a first
 * event to each, pauses the client's reading and records EVENTS large events the server cannot all write: returns the
 * socket, what each operation received (positions, by operation ID), the frames that did not parse, and the collective.
 */
async function pausedSocketBehindEvents() {
  const member = await makeMember(t.db.prisma);
  const collective = await makeCollective(t.db.prisma, { animatorId: member.id });
  const token = await t.tokenFor(member.id);
  const id = gid('Collective', collective.id);
  const socket = new WebSocket(`${t.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  onTestFinished(() => socket.terminate());
  const byOperation = new Map<string, string[]>();
  const bad: string[] = [];
  let acked = false;
  socket.on('message', (data) => {
    let message: { id?: string; type?: string; payload?: { data?: { collectiveActivity?: { position?: string } } } };
    try {
      message = JSON.parse(String(data));
    } catch {
      bad.push(String(data).slice(0, 200));
      return;
    }
    if (message.type === 'connection_ack') acked = true;
    else if (message.type === 'next' && message.id) {
      const list = byOperation.get(message.id) ?? [];
      list.push(message.payload?.data?.collectiveActivity?.position ?? 'none');
      byOperation.set(message.id, list);
    } else if (message.type !== 'ping' && message.type !== 'pong') bad.push(String(data).slice(0, 200));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await until(() => acked, 'connection_ack');
  const OPERATIONS = 4;
  for (let i = 0; i < OPERATIONS; i += 1)
    socket.send(JSON.stringify({ id: `op${i}`, type: 'subscribe', payload: { query: ACTIVITY, variables: { id } } }));
  await until(() => t.app.events.subscriberCount >= OPERATIONS, 'the operations live');
  // A first event: every stream now waits, live (the direct way).
  await t.db.prisma.$transaction((tx) => recordEvent(tx, renamed(collective.id, member.id, 'premier')));
  await t.app.events.pump();
  await until(() => [...byOperation.values()].filter((list) => list.length === 1).length === OPERATIONS, 'first event');

  // The client stops reading.
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  const before = fanoutCounts.written;
  const EVENTS = 60;
  const big = 'é'.repeat(40_000);
  for (let batch = 0; batch < 6; batch += 1) {
    await t.db.prisma.$transaction(async (tx) => {
      for (let i = 0; i < EVENTS / 6; i += 1) await recordEvent(tx, renamed(collective.id, member.id, `${batch}-${i}-${big}`));
    });
    await t.app.events.pump();
  }
  // Wait until the server wrote what it could, and what is left waits on the socket.
  await until(() => fanoutCounts.written > before, 'some frames written');
  return { socket, byOperation, bad, collective, EVENTS };
}

describe('Shared frames under back-pressure', () => {
  it('keeps frames whole, in order and unrepeated for operations sharing a paused socket', async () => {
    const { socket, byOperation, bad, collective, EVENTS } = await pausedSocketBehindEvents();
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await until(
      () => [...byOperation.values()].every((list) => list.length >= EVENTS + 1) || bad.length > 0,
      () => `all events: ${[...byOperation.values()].map((list) => list.length)}`,
    );
    expect(bad).toEqual([]);
    const rows = await t.db.prisma.eventLog.findMany({
      where: { collectiveId: collective.id, type: 'collective.updated' },
      orderBy: { position: 'asc' },
      select: { position: true },
    });
    const expected = rows.map((row) => row.position.toString());
    for (const list of byOperation.values()) expect(list).toEqual(expected);
  });
  it('releases every stream when the paused socket is cut while writes wait on it', async () => {
    const { socket, bad } = await pausedSocketBehindEvents();
    // The client goes away while the server's writes wait on its full socket.
    socket.terminate();
    await until(
      () => t.app.live.streamCount === 0 && t.app.events.subscriberCount === 0,
      () => `streams released: ${t.app.live.streamCount} streams, ${t.app.events.subscriberCount} subscribers`,
    );
    expect(bad).toEqual([]);
  });
});
