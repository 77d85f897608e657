import { once } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { logger } from '../observability/log.js';
import type { Topics } from './bus.js';

/** Opens a Redis connection and waits until it is ready. */
async function connect(url: string, role: string): Promise<Redis> {
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on('error', (error: Error) => logger.warn({ err: error, role }, 'Redis connection error'));
  // A connection must be ready before it subscribes: otherwise ioredis's own ready check (INFO) runs on a
  // connection already in subscriber mode, fails, and notifications silently stop.
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** Failures of fire-and-forget Redis commands, logged at most once per this period. */
const LOG_EVERY_MS = 10_000;

/**
 * The Redis client as the event target sees it, with `methods` (whose promises it never awaits: a publish, a
 * subscribe) catching their own failure, so a Redis outage or a shutdown never leaves a rejection unhandled.
 * While Redis is down, ioredis queues commands and sends them once reconnected (and resubscribes by itself);
 * what still fails is dropped: the event log is re-read every `EVENT_POLL_MS`, so no event is lost.
 */
function guarded(client: Redis, methods: Array<'publish' | 'subscribe' | 'unsubscribe'>): Redis {
  let lastLogged = 0;
  let dropped = 0;
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (!methods.includes(property as (typeof methods)[number])) return value.bind(target);
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
          dropped += 1;
          if (Date.now() - lastLogged < LOG_EVERY_MS) return;
          logger.warn({ err: error, command: String(property), dropped }, 'Redis command failed; dropped');
          lastLogged = Date.now();
          dropped = 0;
        });
    },
  });
}

/** The pub/sub shared by every instance, how to close it, and (with Redis) a readiness probe. */
export interface EventPubSub {
  pubsub: PubSub<Topics>;
  close(): Promise<void>;
  /** Resolves when Redis answers PING; rejects when it is unreachable. Null without Redis. */
  ping: (() => Promise<void>) | null;
}

/** The pub/sub between instances: through Redis when a URL is given, in-process otherwise. */
export async function createEventPubSub(redisUrl: string | undefined): Promise<EventPubSub> {
  if (!redisUrl) return { pubsub: createPubSub<Topics>(), close: async () => {}, ping: null };
  const [publishClient, subscribeClient] = await Promise.all([connect(redisUrl, 'publish'), connect(redisUrl, 'subscribe')]);
  const eventTarget = createRedisEventTarget<CustomEvent>({
    publishClient: guarded(publishClient, ['publish']),
    subscribeClient: guarded(subscribeClient, ['subscribe', 'unsubscribe']),
  });
  return {
    pubsub: createPubSub<Topics>({ eventTarget }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
    ping: async () => {
      // Commands wait in ioredis's queue while it reconnects: a connection that is not ready is an answer already.
      if (publishClient.status !== 'ready') throw new Error(`Redis connection ${publishClient.status}`);
      await publishClient.ping();
    },
  };
}
