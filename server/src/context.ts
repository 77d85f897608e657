import type { YogaInitialContext } from 'graphql-yoga';
import { Access } from './auth/access.js';
import { resolveSession, type SignedIn } from './auth/sessions.js';
import type { SectionDocuments } from './collab/documents.js';
import type { PresenceRegistry } from './collab/presence.js';
import type { Config } from './config.js';
import type { EventBus } from './events/bus.js';
import type { PrismaClient } from './generated/prisma/client.js';

/** What every resolver receives. Built once per request (or per WebSocket operation). */
export interface Context {
  prisma: PrismaClient;
  config: Config;
  /** The event log's live delivery on this instance (subscriptions read it). */
  events: EventBus;
  /** The sections' co-edited documents and who is in them. */
  documents: SectionDocuments;
  presence: PresenceRegistry;
  /** The signed-in member and their session, or null for an anonymous caller. */
  session: SignedIn | null;
  /** Per-request, memoised answers to "may the viewer see this?". */
  access: Access;
}

export interface ServerContext {
  prisma: PrismaClient;
  config: Config;
  events: EventBus;
  documents: SectionDocuments;
  presence: PresenceRegistry;
}

/** Reads the bearer token from the Authorization header or, over WebSocket, the connection params. */
export function bearerToken(
  initial: Partial<YogaInitialContext> & { connectionParams?: Record<string, unknown> },
): string | null {
  const header = initial.request?.headers.get('authorization') ?? (initial.connectionParams?.authorization as string | undefined);
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? null;
}

export async function createContext(server: ServerContext, token: string | null): Promise<Context> {
  const session = token ? await resolveSession(server.prisma, token) : null;
  return { ...server, session, access: await Access.forViewer(server.prisma, session?.member ?? null) };
}
