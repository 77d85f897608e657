import { createHash } from 'node:crypto';
import { type ExecutionResult, type GraphQLError, getOperationAST } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
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

const refused = (message: string, code = 'BAD_USER_INPUT'): ExecutionResult => ({
  errors: [createGraphQLError(message, { extensions: { code } })],
});

/**
 * Yoga plugin: a mutation sent by a signed-in member with an idempotency key runs at most once per member and
 * key. The first run claims the key in its first transaction (`events/idempotency.ts`) and stores its answer
 * afterwards; a retry with the same key and the same operation gets that answer back (with
 * `extensions.idempotentReplay: true`) without running again; the same key with another operation is
 * `BAD_USER_INPUT`. If the change committed but its answer could not be stored (the database went down in
 * between), a retry gets `ALREADY_APPLIED`: the change is there, re-query it. A duplicate sent while the first
 * still runs on this instance waits for its end, then gets its replay (it runs nothing); one sent to another
 * instance meanwhile is refused by the claim (UNAVAILABLE, nothing stored: retry for the replay). Keys are kept a day
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
      const once = async (executeArgs: Parameters<Parameters<typeof setExecuteFn>[0]>[0]) => {
        const existing = await context.prisma.idempotencyKey.findUnique({ where: { memberId_key: { memberId, key } } });
        if (existing) {
          if (existing.fingerprint !== fingerprint)
            return refused('Cette clé d’idempotence a déjà servi pour une autre requête.');
          if (existing.result === null)
            return refused(
              'Cette requête a été appliquée, mais sa réponse s’est perdue dans une panne : relisez pour la voir.',
              'ALREADY_APPLIED',
            );
          return replay(existing.result as Parameters<typeof replay>[0]);
        }
        const claim: IdempotencyClaim = { memberId, key, fingerprint, claimed: false };
        const result = await withIdempotencyKey(claim, () => executeFn(executeArgs));
        if (claim.claimed && !(Symbol.asyncIterator in Object(result))) {
          // Applied already: failing to store the answer only costs a retry its replay (ALREADY_APPLIED instead).
          await context.prisma.idempotencyKey
            .updateMany({ where: { memberId, key }, data: { result: storable(result as ExecutionResult) } })
            .catch((error: unknown) => logger.warn({ err: error }, 'Idempotency key: the answer could not be stored'));
        }
        return result;
      };
    },
  };
}
