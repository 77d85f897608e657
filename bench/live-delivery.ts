// Live-delivery benchmark: N idle graphql-ws subscribers on a real server process, then changes made
// through the API; reports the server's memory per subscriber and commit-to-receipt latency, side by
// side with a bare WebSocket broadcast of the same payload to the same number of sockets (the baseline).
//
//   pnpm bench:live [subscribers=1000] [changes=50]
//
// Loopback only, bounded in count and time.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { DEMO_ACCOUNT } from '../server/src/seed/demo.js';
import { startServerProcess } from '../tests/support/processes.js';

const subscribers = Number(process.argv[2] ?? 1000);
const changes = Number(process.argv[3] ?? 50);

const rssKb = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a benchmark reads a few known fields of the JSON answer.
  return (await response.json()) as { data: any };
}

async function collab(): Promise<{ latencies: number[]; perSubscriberKb: number }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'collectifs-bench-'));
  const server = await startServerProcess({ DATA_DIR: dataDir, SEED: 'true', NODE_ENV: 'production' });
  try {
    const signIn = await gql(
      server.url,
      'mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { ... on MutationSignInSuccess { data { token } } } }',
      {
        e: DEMO_ACCOUNT.email,
        p: DEMO_ACCOUNT.password,
      },
    );
    const token = signIn.data.signIn.data.token as string;
    const found = await gql(server.url, '{ collective(slug: "vie-cooperative") { id } }', {}, token);
    const collectiveId = found.data.collective.id as string;
    const before = await rssKb(server.process.pid as number);
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    let received = 0;
    const clients = [];
    for (let i = 0; i < subscribers; i += 1) {
      const client = createClient({
        url: `${server.url.replace('http', 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        lazy: false,
      });
      clients.push(client);
      client.subscribe<{ collectiveActivity: { payload: { purpose?: string } } }>(
        {
          query: 'subscription($id: ID!) { collectiveActivity(collectiveId: $id) { ... on ActivityEvent { payload } } }',
          variables: { id: collectiveId },
        },
        {
          next: (result) => {
            const marker = (result.data?.collectiveActivity.payload as { name?: string })?.name;
            const start = marker ? sentAt.get(marker) : undefined;
            if (start !== undefined) latencies.push(performance.now() - start);
            received += 1;
          },
          error: () => {},
          complete: () => {},
        },
      );
    }
    // Warm-up: one change every subscriber receives proves they are all registered.
    await gql(
      server.url,
      'mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }',
      { id: collectiveId, n: 'Vie coopérative' },
      token,
    );
    const ready = Date.now() + 120_000;
    while (received < subscribers && Date.now() < ready) await new Promise((resolve) => setTimeout(resolve, 10));
    received = 0;
    latencies.length = 0;
    const idle = await rssKb(server.process.pid as number);
    for (let i = 0; i < changes; i += 1) {
      // The collective's name is echoed in the event payload: it identifies the change.
      const name = `Vie coopérative ${i}`;
      const expected = received + subscribers;
      sentAt.set(name, performance.now());
      await gql(
        server.url,
        'mutation($id: ID!, $n: String!) { updateCollective(input: { id: $id, name: $n }) { __typename } }',
        { id: collectiveId, n: name },
        token,
      );
      const deadline = Date.now() + 10_000;
      while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(clients.map((client) => client.dispose()));
    return { latencies, perSubscriberKb: (idle - before) / subscribers };
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The same fan-out with nothing but a WebSocket server: the floor any delivery path stands on. */
async function bare(): Promise<number[]> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const { port } = wss.address() as { port: number };
  const latencies: number[] = [];
  let received = 0;
  let sentAt = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: subscribers },
      () =>
        new Promise<WebSocket>((resolve) => {
          const socket = new WebSocket(`ws://127.0.0.1:${port}`);
          socket.on('message', () => {
            latencies.push(performance.now() - sentAt);
            received += 1;
          });
          socket.once('open', () => resolve(socket));
        }),
    ),
  );
  const payload = JSON.stringify({
    type: 'next',
    payload: { data: { collectiveActivity: { payload: { name: 'x'.repeat(40) } } } },
  });
  for (let i = 0; i < changes; i += 1) {
    const expected = received + subscribers;
    sentAt = performance.now();
    for (const client of wss.clients) client.send(payload);
    const deadline = Date.now() + 10_000;
    while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  for (const socket of sockets) socket.close();
  wss.close();
  return latencies;
}

const baseline = await bare();
const measured = await collab();
const row = (name: string, values: number[]) =>
  `${name.padEnd(22)} p50 ${percentile(values, 50).toFixed(1).padStart(7)} ms   p99 ${percentile(values, 99).toFixed(1).padStart(7)} ms   (${values.length} deliveries)`;
process.stdout.write(`${subscribers} subscribers, ${changes} changes, loopback\n`);
process.stdout.write(`${row('bare WebSocket', baseline)}\n${row('Collectifs', measured.latencies)}\n`);
process.stdout.write(
  `ratio p99 Collectifs / bare: ${(percentile(measured.latencies, 99) / Math.max(percentile(baseline, 99), 0.001)).toFixed(2)}\n` +
    `server memory per idle subscriber: ${measured.perSubscriberKb.toFixed(1)} KB\n`,
);
