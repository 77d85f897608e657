// The `automerge-paper` trace (259,778 edits by one author) replayed as one editor through the server path,
// against raw Yjs applying the same transactions in one process; the server's final text must equal the
// trace's `endContent`. Skipped, with a message, when ../shared/traces is absent.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Y from 'yjs';
import { draftSection, storedDoc } from './coediting.js';
import type { BenchContext } from './lib/context.js';
import { signIn } from './lib/gql.js';
import { type BenchServer, cpuMs, ROOT, startServer, startWorker } from './lib/processes.js';
import { ratio } from './lib/stats.js';

const TRACE = fileURLToPath(new URL('../../shared/traces/automerge-paper.json.gz', import.meta.url));

export interface TraceResults {
  skipped?: string;
  txns?: number;
  raw?: { elapsedMs: number; editsPerSecond: number };
  server?: {
    applied: number;
    complete: boolean;
    elapsedMs: number;
    editsPerSecond: number;
    pushes: number;
    acknowledged: number;
    rejected: string[];
    /**
     * CPU time (user + system, ms) the replay took in the client's process and in the server's (with its
     * embedded database): on a shared machine, where wall time is mostly waiting, what a change saves.
     */
    clientCpuMs: number;
    serverCpuMs: number;
    /** The server's stored text equals the trace's end (or, for a partial replay, raw Yjs's text at that point). */
    textMatches: boolean;
  };
  /** Server edits/s over raw Yjs edits/s (the target is at least 0.33). */
  speedRatio?: number | null;
}

/** The text of the section's first paragraph as the server stores it. */
async function storedParagraph(url: string, token: string, sectionId: string): Promise<string> {
  const paragraph = (await storedDoc(url, token, sectionId)).getXmlFragment('body').get(0) as Y.XmlElement | undefined;
  return (paragraph?.get(0) as Y.XmlText | undefined)?.toString() ?? '';
}

export async function runTraceBench(context: BenchContext): Promise<TraceResults> {
  if (!existsSync(TRACE)) {
    const skipped = `${TRACE} is absent (it lives in ../shared/traces beside the repository)`;
    context.log(`trace: skipped, ${skipped}`);
    return { skipped };
  }
  const limit = context.smoke ? 2_000 : null;
  const boundMs = context.smoke ? 30_000 : 150_000;
  const worker = await startWorker('trace');
  const dataDir = context.pglite.copy();
  let server: BenchServer | null = null;
  try {
    const { txns, endContent } = await worker.call<{ txns: number; endContent: string }>('load', { path: TRACE, limit });
    const raw = await worker.call<{ elapsedMs: number; text: string }>('raw');
    context.log(`trace: raw Yjs applied ${txns} edits in ${(raw.elapsedMs / 1000).toFixed(1)} s`);
    server = await startServer({ DATA_DIR: dataDir }, { inspect: context.profile });
    const token = await signIn(server.url);
    const sectionId = await draftSection(server.url, token);
    const url = `${server.url.replace('http', 'ws')}/graphql`;
    if (context.profile) {
      mkdirSync(join(ROOT, 'bench', 'results', 'profiles'), { recursive: true });
      await server.inspector?.startProfile();
    }
    const serverCpuBefore = cpuMs(server.pid);
    const replay = await worker.call<{
      applied: number;
      cpuMs: number;
      elapsedMs: number;
      pushes: number;
      acknowledged: number;
      rejected: string[];
      text: string;
    }>(
      'server',
      {
        url,
        token,
        sectionId,
        boundMs,
        profilePath: context.profile ? join(ROOT, 'bench', 'results', 'profiles', 'trace-client.cpuprofile') : undefined,
      },
      boundMs + 120_000,
    );
    const serverCpuMs = cpuMs(server.pid) - serverCpuBefore;
    if (context.profile) {
      const { saveProfile } = await import('./lib/profile.js');
      saveProfile('trace-server', await server.inspector?.stopProfile());
    }
    const complete = replay.applied === txns;
    const stored = await storedParagraph(url, token, sectionId);
    const expected = complete ? (limit === null ? endContent : raw.text) : replay.text;
    const rawSpeed = (txns / raw.elapsedMs) * 1000;
    const serverSpeed = (replay.applied / replay.elapsedMs) * 1000;
    context.log(
      `trace: server path ${replay.applied} edits in ${(replay.elapsedMs / 1000).toFixed(1)} s, ${replay.pushes} pushes, CPU: client ${(replay.cpuMs / 1000).toFixed(1)} s, server ${(serverCpuMs / 1000).toFixed(1)} s`,
    );
    return {
      txns,
      raw: { elapsedMs: Math.round(raw.elapsedMs), editsPerSecond: Math.round(rawSpeed) },
      server: {
        applied: replay.applied,
        complete,
        elapsedMs: Math.round(replay.elapsedMs),
        editsPerSecond: Math.round(serverSpeed),
        pushes: replay.pushes,
        acknowledged: replay.acknowledged,
        clientCpuMs: Math.round(replay.cpuMs),
        serverCpuMs: Math.round(serverCpuMs),
        rejected: replay.rejected,
        textMatches: stored === expected && (!complete || limit !== null || stored === endContent),
      },
      speedRatio: ratio(serverSpeed, rawSpeed),
    };
  } finally {
    await worker.stop();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
