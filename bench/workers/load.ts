// A closed-loop HTTP load generator in its own process: `concurrency` requests in flight, each sent again as
// soon as its answer is read, for a fixed time. Keep-alive connections, as a browser or a gateway keeps them.
import { Agent, request } from 'node:http';
import { serveCommands } from '../lib/processes.js';

interface RunArgs {
  url: string;
  body: string;
  headers: Record<string, string>;
  concurrency: number;
  /** A substring every correct answer contains (checked on each answer). */
  expect: string;
}

function send(agent: Agent, url: URL, body: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve(Buffer.concat(chunks).toString()));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

let current: { stop(): Promise<{ latencies: number[]; errors: number; firstError: string | null; elapsedMs: number }> } | null =
  null;

/** Starts the loops (answers are checked but not timed until `measure`). */
function start(args: RunArgs) {
  const url = new URL(args.url);
  const agent = new Agent({ keepAlive: true, maxSockets: args.concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  let measuring = false;
  let stop = false;
  let started = 0;
  const loop = async () => {
    while (!stop) {
      const sent = performance.now();
      try {
        const answer = await send(agent, url, args.body, args.headers);
        if (!answer.includes(args.expect)) throw new Error(answer.slice(0, 300));
        if (measuring && !stop) latencies.push(performance.now() - sent);
      } catch (error) {
        if (measuring) errors += 1;
        firstError ??= String(error);
      }
    }
  };
  const loops = Array.from({ length: args.concurrency }, loop);
  current = {
    stop: async () => {
      stop = true;
      const elapsedMs = performance.now() - started;
      await Promise.all(loops);
      agent.destroy();
      return { latencies, errors, firstError, elapsedMs };
    },
  };
  // Timing starts with the next call: the caller reads the server's CPU clock in between.
  return {
    answered: () => latencies.length,
    begin: () => {
      measuring = true;
      started = performance.now();
    },
  };
}

let begin: (() => void) | null = null;
let answered: () => number = () => 0;

serveCommands({
  start: (args: RunArgs) => {
    const started = start(args);
    begin = started.begin;
    answered = started.answered;
    return true;
  },
  /**
   * Times every answer for `durationMs` (longer, up to `maxMs`, until `minAnswers` came: a loaded machine must
   * not leave a window without an answer), then stops and returns the latencies (ms).
   */
  measure: async ({ durationMs, minAnswers, maxMs }: { durationMs: number; minAnswers: number; maxMs: number }) => {
    begin?.();
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    while (answered() < minAnswers && Date.now() - started < maxMs) await new Promise((resolve) => setTimeout(resolve, 50));
    const result = await current?.stop();
    current = null;
    return result;
  },
});
