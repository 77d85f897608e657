import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testAppForFile } from '../support/app.js';
import { CollabClient, sectionScenario } from '../support/collab.js';

// Real editing traces live beside the project (../shared/traces), never in it.
const TRACE = new URL('../../../shared/traces/friendsforever.json.gz', import.meta.url);
const available = existsSync(TRACE);
if (!available) process.stderr.write(`Trace replay skipped: ${TRACE.pathname} is absent (it is in ../shared on CI).\n`);

/** Transactions typed between two turns of the event loop. */
const TYPED_PER_TURN = 16;

interface ConcurrentTrace {
  endContent: string;
  numAgents: number;
  txns: Array<{ parents: number[]; agent: number; patches: Array<[number, number, string]> }>;
}

/** The text of the single paragraph the replay writes into. */
function textOf(doc: Y.Doc): string {
  const paragraph = doc.getXmlFragment('body').get(0) as Y.XmlElement | undefined;
  const text = paragraph?.get(0) as Y.XmlText | undefined;
  return text ? (text.toDelta() as Array<{ insert: string }>).map((run) => run.insert).join('') : '';
}

describe.skipIf(!available)('Real trace', () => {
  const t = testAppForFile();

  it('should replay friendsforever with two clients through the server and end at exactly its endContent', async () => {
    const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString('utf8')) as ConcurrentTrace;
    const { members, section } = await sectionScenario(t.db.prisma, { members: 2 });
    const agents = await Promise.all(
      Array.from({ length: trace.numAgents }, async (_, agent) => {
        const member = members[agent % members.length] as { id: string };
        return new CollabClient(t.url, await t.tokenFor(member.id), section.id, { applyRemote: false, maxInFlight: 4 });
      }),
    );
    // Concurrent inserts at one place are ordered by Yjs client ID, as the recording ordered them by agent.
    agents.forEach((agent, index) => {
      agent.doc.clientID = index + 1;
    });
    await Promise.all(agents.map((agent) => agent.connect()));

    // The shared paragraph exists before anyone types: made by agent 0, known to all.
    const first = agents[0] as CollabClient;
    const paragraph = new Y.XmlElement('paragraph');
    first.body.insert(0, [paragraph]);
    paragraph.insert(0, [new Y.XmlText()]);
    const setup = Y.encodeStateAsUpdate(first.doc);
    for (const agent of agents.slice(1)) Y.applyUpdate(agent.doc, setup);

    // A transaction applies to the state of its parents: each agent's document holds exactly the
    // transactions of the other agents that are ancestors (version vectors count them per agent).
    const perAgent: number[][] = Array.from({ length: trace.numAgents }, () => []);
    const versions: number[][] = [];
    const updates: Uint8Array[] = [];
    const applied = agents.map(() => new Array<number>(trace.numAgents).fill(0));
    // Replayed as editors type: one transaction at a time, each its own update, the event loop turning between
    // them so pushes and acknowledgements flow (at most four pushes in flight per agent, what is typed meanwhile merged into the next).
    for (const [index, txn] of trace.txns.entries()) {
      const required = new Array<number>(trace.numAgents).fill(0);
      for (const parent of txn.parents) {
        (versions[parent] as number[]).forEach((count, agent) => {
          required[agent] = Math.max(required[agent] as number, count);
        });
      }
      const client = agents[txn.agent] as CollabClient;
      const seen = applied[txn.agent] as number[];
      for (let other = 0; other < trace.numAgents; other += 1) {
        if (other === txn.agent) continue;
        if ((seen[other] as number) > (required[other] as number))
          throw new Error(`Agent ${txn.agent} saw too much before txn ${index}`);
        for (; (seen[other] as number) < (required[other] as number); seen[other] = (seen[other] as number) + 1) {
          Y.applyUpdate(
            client.doc,
            updates[(perAgent[other] as number[])[seen[other] as number] as number] as Uint8Array,
            'trace',
          );
        }
      }
      const text = (client.body.get(0) as Y.XmlElement).get(0) as Y.XmlText;
      let update: Uint8Array = new Uint8Array();
      const capture = (u: Uint8Array) => {
        update = u;
      };
      client.doc.on('update', capture);
      client.doc.transact(() => {
        for (const [position, deleted, inserted] of txn.patches) {
          if (deleted > 0) text.delete(position, deleted);
          if (inserted) text.insert(position, inserted);
        }
      });
      client.doc.off('update', capture);
      updates[index] = update;
      (perAgent[txn.agent] as number[]).push(index);
      seen[txn.agent] = (perAgent[txn.agent] as number[]).length;
      required[txn.agent] = (perAgent[txn.agent] as number[]).length;
      versions[index] = required;
      // Typing in bursts: the server runs in this process, so a turn of the loop per keystroke would replay at
      // the server's pace, one push per transaction, instead of merging what is typed while pushes are in flight.
      if (index % TYPED_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
    }

    // Everything each agent typed went to the server by acknowledged pushes, not by a reconnection handshake.
    await Promise.all(agents.map((agent) => agent.settled()));
    for (const agent of agents) {
      expect(agent.rejected).toEqual([]);
      expect(agent.unacknowledged).toBe(0);
      expect(agent.acknowledged).toBe(agent.pushes);
      expect(agent.pushes).toBeGreaterThan(0);
    }
    const pushed = new Y.Doc();
    Y.applyUpdate(pushed, await t.app.documents.storedState(section.id));
    expect(textOf(pushed)).toBe(trace.endContent);
    process.stdout.write(
      `friendsforever: ${trace.txns.length} transactions, ${agents.map((agent) => agent.acknowledged).join(' + ')} pushes, all acknowledged\n`,
    );

    // Now each takes the others' work from the server.
    for (const agent of agents) {
      await agent.disconnect();
      await agent.connect();
    }
    for (const agent of agents) expect(textOf(agent.doc)).toBe(trace.endContent);
    const server = new Y.Doc();
    Y.applyUpdate(server, await t.app.documents.storedState(section.id));
    expect(textOf(server)).toBe(trace.endContent);
    expect(agents.flatMap((agent) => agent.rejected)).toEqual([]);
    await Promise.all(agents.map((agent) => agent.disconnect()));
  }, 600_000);
});
