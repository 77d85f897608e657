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

/** The pub/sub between instances: through Redis when a URL is given, in-process otherwise. */
export async function createEventPubSub(
  redisUrl: string | undefined,
): Promise<{ pubsub: PubSub<Topics>; close(): Promise<void> }> {
  if (!redisUrl) return { pubsub: createPubSub<Topics>(), close: async () => {} };
  const [publishClient, subscribeClient] = await Promise.all([connect(redisUrl, 'publish'), connect(redisUrl, 'subscribe')]);
  const eventTarget = createRedisEventTarget<CustomEvent>({ publishClient, subscribeClient });
  return {
    pubsub: createPubSub<Topics>({ eventTarget }),
    close: async () => {
      await Promise.allSettled([publishClient.quit(), subscribeClient.quit()]);
    },
  };
}
