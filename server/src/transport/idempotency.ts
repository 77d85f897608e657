import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { isUnavailable } from '../errors.js';
import { type IdempotencyClaim, withIdempotencyKey } from '../events/idempotency.js';
import type { Prisma } from '../generated/prisma/client.js';
import { logger } from '../observability/log.js';
import { maskedError, UNEXPECTED_MESSAGE } from './unavailable.js';

/** The HTTP header carrying a mutation's idempotency key (as in the IETF draft and Stripe's API). */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** A key is 1–255 printable ASCII characters (a UUID is typical). */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What the plugin reads of an operation's context beyond ours: the HTTP request and the GraphQL parameters. */
type OperationContext = Context & {
  request?: Request;
  params?: { query?: string; operationName?: string | null; variables?: unknown; extensions?: Record<string, unknown> };
};

/** The key an operation carries: the `Idempotency-Key` header (HTTP), or `extensions.idempotencyKey` (any transport). */
function keyOf(context: OperationContext): unknown {
  return context.request?.headers.get(IDEMPOTENCY_HEADER) ?? context.params?.extensions?.idempotencyKey ?? null;
}

function fingerprintOf(context: OperationContext): string {
  const { query, operationName, variables } = context.params ?? {};
  return createHash('sha256')
    .update(JSON.stringify([query ?? '', operationName ?? null, variables ?? null]))
    .digest('hex');
}

/**
 * What is stored to replay: the data, and each error exactly as the caller was sent it (`maskedError`, the
 * masking Yoga applies): its message, path and code, or no code when it had none. A coded error thrown by a
 * resolver (wrapped by graphql-js, so with an original error) keeps its code; a masked one is "Unexpected error."
 */
function storable(result: ExecutionResult): Prisma.InputJsonValue {
  const errors = result.errors?.map((error) => {
    const sent = maskedError(error, UNEXPECTED_MESSAGE) as GraphQLError;
    const code = sent.extensions?.code;
    return { message: sent.message, path: error.path, ...(typeof code === 'string' ? { extensions: { code } } : {}) };
  });
  return JSON.parse(JSON.stringify({ data: result.data ?? null, ...(errors ? { errors } : {}) }));
}

function replay(stored: {
  data?: unknown;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}): ExecutionResult {
  return {
    data: (stored.data ?? null) as ExecutionResult['data'],
    ...(stored.errors
      ? {
          errors: stored.errors.map((error) =>
            createGraphQLError(error.message, { path: error.path, extensions: error.extensions }),
          ),
        }
      : {}),
    extensions: { idempotentReplay: true },
  };
}

/**
 * How long, in milliseconds after a key was claimed, a duplicate waits for the first run's answer to be stored
 * (polling the key, 10 ms then doubling up to 250 ms). The first run stores it right after its mutation ends
 * (milliseconds after the claim's commit); past this bound its instance is taken to be gone (crashed, or the
 * database failed it between the commit and the answer), and the duplicate is answered `ALREADY_APPLIED`.
 */
export const ANSWER_WAIT_MS = 5_000;

/**
 * Emits `waiting` (memberId, key) when a duplicate starts waiting for the first run's stored answer: lets a test
 * act at that moment instead of sleeping.
 */
export const answerWaits = new EventEmitter();

/** A stored idempotency key, as read by the plugin. */
interface StoredKey {
  fingerprint: string;
  result: unknown;
  createdAt: Date;
}

/**
 * Waits for the answer of the run that claimed `key` (claimed at `claimedAt`, its answer not stored yet): polls
 * the key until it holds an answer, or until `ANSWER_WAIT_MS` after the claim (at most that long from now).
 * Returns the key with its answer, or null when none came (or the key is gone).
 */
async function awaitAnswer(prisma: Context['prisma'], memberId: string, key: string, claimedAt: Date): Promise<StoredKey | null> {
  const now = Date.now();
  const deadline = Math.min(now + ANSWER_WAIT_MS, claimedAt.getTime() + ANSWER_WAIT_MS);
  if (deadline <= now) return null;
  answerWaits.emit('waiting', memberId, key);
  for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    const row = await prisma.idempotencyKey.findUnique({ where: { memberId_key: { memberId, key } } });
    if (row === null) return null;
    if (row.result !== null) return row;
  }
  return null;
}

/** Whether an answer is (or carries) `UNAVAILABLE`: a database or service the mutation could not finish on. */
function answersUnavailable(result: ExecutionResult): boolean {
  return (result.errors ?? []).some((error) => isUnavailable(error));
}

const refused = (message: string, code = 'BAD_USER_INPUT'): ExecutionResult => ({
  errors: [createGraphQLError(message, { extensions: { code } })],
});

/**
 * Yoga plugin: a mutation sent by a signed-in member with an idempotency key runs at most once per member and
 * key. The first run claims the key in its first transaction (`events/idempotency.ts`) and stores its answer
 * afterwards; a retry with the same key and the same operation gets that answer back (with
 * `extensions.idempotentReplay: true`) without running again; the same key with another operation is
 * `BAD_USER_INPUT`. A duplicate sent while the first still runs on this instance waits for its end, then gets its
 * replay (it runs nothing). One sent to another instance finds the key claimed with no answer yet, or runs and
 * finds the key claimed when its own transaction tries to (which then rolls back, storing nothing): either way
 * it waits for the first run's answer (`awaitAnswer`, up to `ANSWER_WAIT_MS` after the claim) and replays it. If
 * none comes (the first run's instance died, or the database failed it between its commit and its answer), it
 * gets `ALREADY_APPLIED`: the change is there, re-query it. Keys are kept a day
 * (`IDEMPOTENCY_KEY_TTL_HOURS`). Anonymous calls and mutations that record no event are not tracked.
 */
export function useIdempotencyKeys(): Plugin {
  /**
   * Per `memberId key`, the end of the request running with it on this instance: a duplicate sent meanwhile waits
   * for it, then reads the key and is answered the replay. Without this, duplicates sent at once all found no key,
   * all ran (a restore computed its change again, refused only by the claim in its storing transaction) and the
   * later ones were answered UNAVAILABLE instead of the first's answer.
   */
  const running = new Map<string, Promise<void>>();
  return {
    onExecute: ({ args, executeFn, setExecuteFn, setResultAndStopExecution }) => {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      const context = args.contextValue as unknown as OperationContext;
      const key = keyOf(context);
      const memberId = context.session?.member.id;
      if (key === null || !memberId) return;
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
        setResultAndStopExecution(refused('Une clé d’idempotence compte de 1 à 255 caractères ASCII imprimables.'));
        return;
      }
      const fingerprint = fingerprintOf(context);
      setExecuteFn(async (executeArgs) => {
        const name = `${memberId} ${key}`;
        for (let before = running.get(name); before; before = running.get(name)) await before;
        let end = () => {};
        const ended = new Promise<void>((resolve) => {
          end = resolve;
        });
        running.set(name, ended);
        try {
          return await once(executeArgs);
        } finally {
          if (running.get(name) === ended) running.delete(name);
          end();
        }
      });
      /** The answer to a request whose key is stored already (by an earlier run, maybe still running elsewhere). */
      const answerTo = async (existing: StoredKey): Promise<ExecutionResult> => {
        if (existing.fingerprint !== fingerprint) return refused('Cette clé d’idempotence a déjà servi pour une autre requête.');
        // Claimed, answer not stored yet: the first run may still be finishing on another instance.
        const answered =
          existing.result === null ? await awaitAnswer(context.prisma, memberId, key, existing.createdAt) : existing;
        if (answered === null || answered.result === null)
          return refused(
            'Cette requête a déjà été appliquée, mais sa réponse n’est pas disponible : relisez pour voir le résultat.',
            'ALREADY_APPLIED',
          );
        return replay(answered.result as Parameters<typeof replay>[0]);
      };
      const once = async (executeArgs: Parameters<Parameters<typeof setExecuteFn>[0]>[0]) => {
        const existing = await context.prisma.idempotencyKey.findUnique({ where: { memberId_key: { memberId, key } } });
        if (existing) return answerTo(existing);
        const claim: IdempotencyClaim = { memberId, key, fingerprint, claimed: false };
        const result = await withIdempotencyKey(claim, () => executeFn(executeArgs));
        if (claim.taken && !claim.claimed && !(Symbol.asyncIterator in Object(result))) {
          // A duplicate on another instance claimed the key first (this run's transaction rolled back, so nothing
          // of it is stored): its answer, once stored, rather than UNAVAILABLE. Unreadable: UNAVAILABLE stays.
          const taken = await context.prisma.idempotencyKey
            .findUnique({ where: { memberId_key: { memberId, key } } })
            .catch(() => null);
          return taken ? answerTo(taken) : result;
        }
        if (claim.claimed && !(Symbol.asyncIterator in Object(result)) && !answersUnavailable(result as ExecutionResult)) {
          // Applied already: failing to store the answer only costs a retry its replay (ALREADY_APPLIED instead).
          // Not an UNAVAILABLE answer: it says nothing was kept, yet the key is stored only if the transaction
          // committed (a COMMIT cut by the client-side deadline, its outcome unknown): replayed, every retry was
          // answered UNAVAILABLE for a day; unstored, the retry is told ALREADY_APPLIED (attack 2 of stop 30).
          await context.prisma.idempotencyKey
            .updateMany({ where: { memberId, key }, data: { result: storable(result as ExecutionResult) } })
            .catch((error: unknown) => logger.warn({ err: error }, 'Idempotency key: the answer could not be stored'));
        }
        return result;
      };
    },
  };
}
