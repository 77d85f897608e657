import type { IncomingMessage } from 'node:http';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getOperationAST,
  Kind,
  type OperationDefinitionNode,
  parse,
  type SelectionSetNode,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import pLimit, { type LimitFunction } from 'p-limit';
import { RateLimiterMemory, type RateLimiterRes } from 'rate-limiter-flexible';
import { hashToken } from '../auth/sessions.js';
import type { Limits } from '../config.js';
import type { Context } from '../context.js';
import { rateLimited } from './refusals.js';

/**
 * The address a request or socket came from (the TCP peer: SECURITY.md says why no forwarded header is read). Takes
 * Node's request, or what a graphql-ws socket keeps of its upgrade request (transport/websocket.ts `UpgradeRequest`).
 */
export function clientAddress(
  request: { readonly socket?: { readonly remoteAddress?: string | undefined } } | undefined,
): string {
  return request?.socket?.remoteAddress ?? 'unknown';
}

/** The key one caller's limits are counted under: the member when signed in, otherwise the address. */
export function callerKey(context: Pick<Context, 'session' | 'clientAddress'>): string {
  return context.session ? `member:${context.session.member.id}` : `address:${context.clientAddress}`;
}

/**
 * Sign-in protection (OWASP's authentication cheat sheet), so that guessing is slow and nobody else can lock a
 * member out:
 * - per (account, address) pair: `failuresPerAccount` failures in `lockMs` lock that pair (`signInAccount`);
 * - per address: `failuresPerAddress` failures across accounts lock the address (`signInAddress`);
 * - per account across all addresses: no lock, which a third party knowing the email could trigger; instead each
 *   failure past `failuresPerAccount` is answered after a growing delay (`failed` returns it: 1 s doubling, at
 *   most `SLOWEST_FAILURE_MS`), so distributed guessing slows down while the owner, from any address not itself
 *   locked, still signs in at once with the right password.
 * While locked, sign-ins are refused (`RATE_LIMITED`, `retryAfterMs` until the lock ends) before any password is
 * hashed. Locks grow for repeated offenders: the n-th lock of a key lasts `lockMs × 2^(n−1)`, at most `maxLockMs`;
 * its count is forgotten once `maxLockMs` passes after a lock ends without a new one. A success clears the
 * account's slowing and its own pair's failures and locks (not another address's, nor the address's own count).
 * Password hashing (scrypt, 128 MiB each) runs at most `hashConcurrency` at once, with at most `hashQueue`
 * waiting; past that a sign-in is refused at once, so a flood cannot exhaust memory.
 */
export class SignInGuard {
  /** Failures per `email address` pair. */
  readonly #byPair: RateLimiterMemory;
  readonly #byAddress: RateLimiterMemory;
  /** Failures per account from any address: only slows failures down, never locks. */
  readonly #byAccount: RateLimiterMemory;
  /** Locks given so far per key (`pair:…`, `address:…`), forgotten `maxLockMs` after the last one ends. */
  readonly #locks: RateLimiterMemory;
  readonly #hashing: LimitFunction;

  constructor(readonly limits: Limits['signIn']) {
    const duration = seconds(limits.lockMs);
    this.#byPair = new RateLimiterMemory({ keyPrefix: 'pair', points: limits.failuresPerAccount, duration });
    this.#byAddress = new RateLimiterMemory({ keyPrefix: 'address', points: limits.failuresPerAddress, duration });
    this.#byAccount = new RateLimiterMemory({ keyPrefix: 'account', points: Number.MAX_SAFE_INTEGER, duration });
    this.#locks = new RateLimiterMemory({ keyPrefix: 'locks', points: Number.MAX_SAFE_INTEGER, duration });
    this.#hashing = pLimit(Math.max(1, limits.hashConcurrency));
  }

  /** Throws `RATE_LIMITED` when this account is locked from this address, or the address is. */
  async check(email: string, address: string): Promise<void> {
    const [pair, fromAddress] = await Promise.all([this.#byPair.get(pairKey(email, address)), this.#byAddress.get(address)]);
    if (pair && pair.consumedPoints >= this.limits.failuresPerAccount) {
      throw rateLimited(
        'signInAccount',
        'Trop d’échecs de connexion à ce compte depuis cette adresse : réessayez plus tard.',
        pair.msBeforeNext,
        email,
      );
    }
    if (fromAddress && fromAddress.consumedPoints >= this.limits.failuresPerAddress) {
      throw rateLimited(
        'signInAddress',
        'Trop d’échecs de connexion depuis cette adresse : réessayez plus tard.',
        fromAddress.msBeforeNext,
        address,
      );
    }
  }

  /**
   * Counts a failed sign-in against the pair, the address and the account; the one reaching a pair's or the
   * address's limit locks it. Returns how long (ms) to wait before answering this failure: 0 until the account's
   * failures from all addresses pass `failuresPerAccount`, then 1 s doubling per failure, at most
   * `SLOWEST_FAILURE_MS`.
   */
  async failed(email: string, address: string): Promise<number> {
    const pair = pairKey(email, address);
    const [, , account] = await Promise.all([
      this.#fail(this.#byPair, this.limits.failuresPerAccount, pair, `pair:${pair}`),
      this.#fail(this.#byAddress, this.limits.failuresPerAddress, address, `address:${address}`),
      this.#byAccount.penalty(email),
    ]);
    const past = account.consumedPoints - this.limits.failuresPerAccount;
    return past <= 0 ? 0 : Math.min(1000 * 2 ** Math.min(past - 1, 30), SLOWEST_FAILURE_MS);
  }

  /**
   * A successful sign-in clears the account's slowing and its own address's failures and locks for the account;
   * another address's lock on the account stays (an attacker gets no fresh guesses from the owner's success).
   */
  async succeeded(email: string, address: string): Promise<void> {
    const pair = pairKey(email, address);
    await Promise.all([this.#byAccount.delete(email), this.#byPair.delete(pair), this.#locks.delete(`pair:${pair}`)]);
  }

  async #fail(limiter: RateLimiterMemory, limit: number, key: string, lockKey: string): Promise<void> {
    const failures = await limiter.penalty(key);
    // Exactly at the limit: concurrent failures past it do not lock again (nor lengthen the lock).
    if (failures.consumedPoints !== limit) return;
    const longest = Math.max(this.limits.maxLockMs, this.limits.lockMs);
    const locks = ((await this.#locks.get(lockKey))?.consumedPoints ?? 0) + 1;
    const lockMs = Math.min(this.limits.lockMs * 2 ** Math.min(locks - 1, 30), longest);
    await this.#locks.set(lockKey, locks, seconds(lockMs + longest));
    await limiter.block(key, seconds(lockMs));
  }

  /** Runs a password hash under the concurrency cap; throws `RATE_LIMITED` when the queue is full. */
  hash<T>(work: () => Promise<T>): Promise<T> {
    if (this.#hashing.pendingCount >= this.limits.hashQueue) {
      throw rateLimited('passwordHashQueue', 'Le serveur est occupé par d’autres connexions : réessayez dans un instant.', 1000);
    }
    return this.#hashing(work);
  }
}

/** The longest a failed sign-in's answer is held back for its account's failures across addresses (ms). */
export const SLOWEST_FAILURE_MS = 8_000;

/** The key of one account tried from one address. */
function pairKey(email: string, address: string): string {
  return `${email} ${address}`;
}

/** A duration in whole seconds, at least one (the rate limiter's unit), from milliseconds. */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** A per-member allowance of `perSecond` points a second (at least one). */
function allowance(keyPrefix: string, perSecond: number): { perSecond: number; limiter: RateLimiterMemory } {
  const most = Math.max(1, perSecond);
  return { perSecond: most, limiter: new RateLimiterMemory({ keyPrefix, points: most, duration: 1 }) };
}

function isLimiterRes(value: unknown): value is RateLimiterRes {
  return typeof value === 'object' && value !== null && 'msBeforeNext' in value;
}

/**
 * The mutations one operation asks for: the field name of each of its root fields, once per response key (an alias
 * or the name: GraphQL merges the fields of one key into one, which runs once), fragments on the root type expanded
 * (`__typename` aside). `@skip`/`@include` are not read: a field they would leave out still counts, so the count
 * never falls short. Runs on documents not yet validated too (`onParams`): each fragment is expanded once, so a
 * fragment spread many times (or in a cycle) costs no more than once.
 */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const byKey = new Map<string, string>();
  const expanded = new Set<string>();
  const collect = (selections: SelectionSetNode['selections']): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename')
          byKey.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet.selections);
      else if (!expanded.has(selection.name.value)) {
        expanded.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) collect(fragment.selectionSet.selections);
      }
    }
  };
  collect(operation.selectionSet.selections);
  return [...byKey.values()];
}

/**
 * The mutations an editor sends while typing and moving its cursor (a Yjs update per keystroke when the previous one
 * is acknowledged, a cursor position at most every 120 ms): counted against their own allowance
 * (`coeditingMessagesPerSecond`), so a fast typist, or a held key repeating, never uses up the member's allowance for
 * every other change, and is not refused at typing speed.
 */
export const COEDITING_MUTATIONS: ReadonlySet<string> = new Set(['pushSectionUpdate', 'updatePresence']);

/**
 * Yoga plugin for what each caller may run: mutations per second per member (a `RATE_LIMITED` error with
 * `retryAfterMs` past it) and SSE subscriptions open at once per member (or per address when anonymous).
 *
 * Each mutation counts, not each request: an operation of n root mutation fields (aliases included) takes n
 * points from its member's allowance, over HTTP, SSE and graphql-ws alike, keyed by the session's member so a new
 * sign-in (another token) gets no new allowance. Co-editing's pushes and cursor positions (`COEDITING_MUTATIONS`)
 * take theirs from an allowance of their own (`coeditingMessagesPerSecond`), every other mutation from
 * `mutationsPerSecond`. An operation that would go past either is refused whole, before any resolver runs, and its
 * points are given back; one asking more than an allowance itself can never run and says so. While a member has
 * nothing left of `mutationsPerSecond`, their next requests of other mutations (by a token seen running a mutation)
 * are refused as soon as their parameters are read, before any database work, so a refused flood costs little.
 * Anonymous callers can only sign in, which has limits of its own (`SignInGuard`); a flood of
 * requests is bounded before this by `useInflightLimit`.
 */
export function useCallerLimits(
  limits: Pick<Limits, 'mutationsPerSecond' | 'coeditingMessagesPerSecond' | 'maxSseStreamsPerUser' | 'query'>,
): Plugin {
  const allowances = {
    mutationsPerSecond: allowance('mutations', limits.mutationsPerSecond),
    coeditingMessagesPerSecond: allowance('coediting', limits.coeditingMessagesPerSecond),
  };
  const { perSecond, limiter: mutations } = allowances.mutationsPerSecond;
  const sseStreams = new Map<string, number>();
  /** Token digest → the member whose session it named when one of its mutations ran (the oldest forgotten first). */
  const known = new Map<string, string>();
  return {
    // A flood's requests are refused here, before the session is read, while their member has nothing left:
    // nothing is consumed here (a member's token is only trusted once it has run a mutation), onExecute counts.
    onParams: async ({ params, request, setResult }) => {
      const token = request.headers.get('authorization');
      const member = token ? known.get(hashToken(token)) : undefined;
      if (!member || typeof params.query !== 'string') return;
      const state = await mutations.get(member);
      if (!state || state.consumedPoints < perSecond) return;
      let names: string[];
      try {
        // Bounded like Yoga's own parse (the token limit); a document that does not parse is Yoga's to refuse.
        const document = parse(params.query, { maxTokens: limits.query.maxTokens });
        const operation = getOperationAST(document, params.operationName);
        if (operation?.operation !== 'mutation') return;
        names = rootFieldNames(document, operation);
      } catch {
        return;
      }
      // Only co-editing's: its own allowance decides, in onExecute.
      if (names.every((name) => COEDITING_MUTATIONS.has(name))) return;
      setResult({
        errors: [rateLimited('mutationsPerSecond', 'Trop de modifications à la fois : ralentissez.', state.msBeforeNext, member)],
      });
    },
    onExecute: async ({ args, setResultAndStopExecution }) => {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const context = args.contextValue as unknown as Context;
      if (!context.session) return;
      const member = context.session.member.id;
      const token = (context as { request?: Request }).request?.headers.get('authorization');
      if (token && context.connection.transport !== 'ws') {
        const digest = hashToken(token);
        known.delete(digest);
        known.set(digest, member);
        if (known.size > KNOWN_TOKENS) known.delete(known.keys().next().value as string);
      }
      const names = rootFieldNames(args.document, operation);
      const coediting = names.filter((name) => COEDITING_MUTATIONS.has(name)).length;
      const asked: Array<[keyof typeof allowances, number]> = [
        ['mutationsPerSecond', names.length - coediting],
        ['coeditingMessagesPerSecond', coediting],
      ];
      const taken: Array<[keyof typeof allowances, number]> = [];
      for (const [name, points] of asked) {
        if (points === 0) continue;
        const { perSecond: most, limiter } = allowances[name];
        let refusal: ReturnType<typeof rateLimited> | undefined;
        if (points > most) {
          refusal = rateLimited(name, `Trop de modifications dans une requête : au plus ${most} par seconde.`, undefined, member);
        } else {
          try {
            await limiter.consume(member, points);
            taken.push([name, points]);
            continue;
          } catch (error) {
            if (!isLimiterRes(error)) throw error;
            // consume counted the refused points too: given back below with the others.
            taken.push([name, points]);
            refusal = rateLimited(name, 'Trop de modifications à la fois : ralentissez.', error.msBeforeNext, member);
          }
        }
        // Refused whole: the operation runs none of its mutations, so every point it took is given back.
        for (const [givenBack, count] of taken) await allowances[givenBack].limiter.reward(member, count);
        setResultAndStopExecution({ errors: [refusal] });
        return;
      }
    },
    onSubscribe: ({ args, setResultAndStopExecution }) => {
      const context = args.contextValue as unknown as Context;
      if (context.connection.transport !== 'sse') return;
      const key = callerKey(context);
      const open = sseStreams.get(key) ?? 0;
      if (open >= limits.maxSseStreamsPerUser) {
        setResultAndStopExecution({
          errors: [rateLimited('sseStreamsPerUser', 'Trop de flux en direct ouverts : fermez-en un d’abord.', undefined, key)],
        });
        return;
      }
      sseStreams.set(key, open + 1);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        const left = (sseStreams.get(key) ?? 1) - 1;
        if (left > 0) sseStreams.set(key, left);
        else sseStreams.delete(key);
      };
      // The place is the stream's, not its request's: a stream refused as it opens (FORBIDDEN, NOT_FOUND) or ended
      // frees it as it ends, before its response has finished closing, so a client that opens its next stream on
      // reading the refusal is not refused RATE_LIMITED for the one it was just told is over.
      context.connection.onClose(release);
      return {
        onSubscribeResult: ({ result, setResult }) => {
          if (isAsyncIterable(result)) setResult(onEnd(result, release));
          else release();
        },
        onSubscribeError: release,
      };
    },
  };
}

const isAsyncIterable = <T>(value: unknown): value is AsyncIterable<T> =>
  typeof Object(value)[Symbol.asyncIterator] === 'function';

/**
 * `source`, calling `end` once it ends however it does: done, thrown (a refusal as it opens, an error it ends with)
 * or returned by its consumer. Values and errors pass through unchanged.
 */
function onEnd<T>(source: AsyncIterable<T>, end: () => void): AsyncGenerator<T, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const generator: AsyncGenerator<T, undefined> = {
    [Symbol.asyncIterator]: () => generator,
    async next() {
      try {
        const step = await iterator.next();
        if (step.done) end();
        return step.done ? { done: true, value: undefined } : step;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      end();
      if (iterator.throw) return (await iterator.throw(error)) as IteratorResult<T, undefined>;
      throw error;
    },
  };
  return generator;
}

/**
 * Yoga plugin bounding the GraphQL requests one caller has in flight over HTTP (SSE included until its stream
 * starts), checked before anything is read from the database, so a flood of requests waits nowhere near
 * everyone else's (429 `RATE_LIMITED`, `limit: requestsInFlight`, past `maxPerCaller`).
 *
 * The key is the member whose session the bearer token was last seen to name (`member:…`), else the address
 * (`address:…`): a token is only trusted as a key once a request made with it has resolved a live session, so
 * inventing a token per request does not escape the address's count. Tokens are remembered by digest, at most
 * `KNOWN_TOKENS` of them (the oldest forgotten first); a token whose session has since ended still names its
 * member here, which only decides where its requests are counted (the request itself is refused as usual).
 *
 * A request is in flight from its headers to its answer: a caller holding bodies back, or waiting on PostgreSQL,
 * reaches the cap (measured: 40 concurrent `{ viewer { id } }` with a cap of 4, 32–36 refused on PostgreSQL). On the
 * embedded database run on the server's own thread, a quick request runs from its headers to its answer without
 * the event loop reading another (its queries resolve through microtasks), so quick requests never overlap and
 * the cap is not reached (0 of 40 refused): they queue in the sockets instead, served one at a time.
 */
export function useInflightLimit(maxPerCaller: number): Plugin {
  const inflight = new Map<string, number>();
  const counted = new WeakMap<Request, string>();
  /** Token digest → the member whose live session it named. */
  const known = new Map<string, string>();
  return {
    onRequest: ({ request, serverContext, endResponse }) => {
      const token = request.headers.get('authorization');
      const member = token ? known.get(hashToken(token)) : undefined;
      const key = member ? `member:${member}` : `address:${clientAddress((serverContext as { req?: IncomingMessage }).req)}`;
      const open = inflight.get(key) ?? 0;
      if (open >= maxPerCaller) {
        const refusal = rateLimited('requestsInFlight', 'Trop de requêtes à la fois : attendez les réponses.', 100, key);
        endResponse(
          Response.json(
            {
              errors: [
                { message: refusal.message, extensions: { code: 'RATE_LIMITED', limit: 'requestsInFlight', retryAfterMs: 100 } },
              ],
            },
            {
              status: 429,
              headers: { 'retry-after': '1' },
            },
          ),
        );
        return;
      }
      inflight.set(key, open + 1);
      counted.set(request, key);
    },
    onContextBuilding:
      () =>
      ({ context }) => {
        const { session, request, connection } = context as unknown as Partial<Context> & { request?: Request };
        const token = request?.headers.get('authorization');
        if (!session || !token || connection?.transport === 'ws') return;
        const digest = hashToken(token);
        if (known.get(digest) === session.member.id) return;
        known.delete(digest);
        known.set(digest, session.member.id);
        if (known.size > KNOWN_TOKENS) known.delete(known.keys().next().value as string);
      },
    onResponse: ({ request }) => {
      const key = counted.get(request);
      if (key === undefined) return;
      counted.delete(request);
      const left = (inflight.get(key) ?? 1) - 1;
      if (left > 0) inflight.set(key, left);
      else inflight.delete(key);
    },
  };
}

/** Bearer tokens `useInflightLimit` remembers the member of (about 100 bytes each). */
const KNOWN_TOKENS = 10_000;
