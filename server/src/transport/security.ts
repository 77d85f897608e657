import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { type DocumentNode, type ExecutionResult, GraphQLError, Kind, visit } from 'graphql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';
import helmet from 'helmet';
import type { Context } from '../context.js';

/** Who may introspect the schema: everyone, signed-in callers only (GraphiQL works once signed in), or nobody. */
export type IntrospectionPolicy = 'all' | 'signed-in' | 'none';

/** The security settings of `Config` (read from `NODE_ENV`, `INTROSPECTION`, `CORS_ORIGINS`). */
export interface SecuritySettings {
  /** `NODE_ENV=production`: field suggestions off, introspection for signed-in callers by default. */
  production: boolean;
  introspection: IntrospectionPolicy;
  /** Origins (scheme, host and port) whose pages may call the API from a browser; empty: same origin only. */
  corsOrigins: string[];
}

/** Connect-style middleware: sets headers, then calls `next`. */
type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * GraphiQL as one self-contained page (`@graphql-yoga/render-graphiql`: its script, styles and editor workers
 * inline), so it works without internet; rendered once. `scriptHash` is the CSP hash of its one inline script.
 */
export function offlineGraphiQL(): {
  render: (options?: GraphiQLOptions) => string;
  scriptHash: () => string;
  /** The page's ETag: a hash of its content (`"sha256-…"`), for revalidation (`graphiqlDelivery`). */
  tag: () => string;
} {
  const pages = new Map<string, string>();
  let hash = '';
  const render = (options?: GraphiQLOptions) => {
    const key = JSON.stringify(options ?? {});
    let page = pages.get(key);
    if (!page) {
      page = renderGraphiQL(options);
      pages.set(key, page);
    }
    return page;
  };
  let tag = '';
  return {
    render,
    tag: () => {
      tag ||= `"sha256-${createHash('sha256')
        .update(render({ title: 'Collectifs — GraphiQL', subscriptionsProtocol: 'WS' }))
        .digest('base64url')}"`;
      return tag;
    },
    scriptHash: () => {
      if (!hash) {
        const script = /<script>([\s\S]*?)<\/script>/.exec(
          render({ title: 'Collectifs — GraphiQL', subscriptionsProtocol: 'WS' }),
        );
        hash = `'sha256-${createHash('sha256')
          .update(script?.[1] ?? '')
          .digest('base64')}'`;
      }
      return hash;
    },
  };
}

/**
 * Security headers (helmet): nosniff, a strict referrer policy, no framing (`frame-ancestors 'none'`), and a
 * Content-Security-Policy per kind of page:
 * - the web app (built by Vite: its scripts and styles are files of its own origin): scripts from `'self'` only;
 *   inline `style` attributes are allowed (the editor and the charts position elements with them); images from
 *   itself, `data:` and `blob:`; connections to itself (HTTP and its WebSocket);
 * - GraphiQL (one inline page): its one inline script by hash, its editor's workers from `blob:`, inline styles.
 * HSTS is left to the TLS terminator in front (the server itself speaks plain HTTP).
 */
export function securityHeaders(graphiqlScriptHash: () => string): { app: Middleware; graphiql: () => Middleware } {
  const common = {
    strictTransportSecurity: false,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' as const },
    crossOriginEmbedderPolicy: false,
  };
  const base = {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'form-action': ["'self'"],
    'connect-src': ["'self'"],
    'font-src': ["'self'", 'data:'],
    'img-src': ["'self'", 'data:', 'blob:'],
    'upgrade-insecure-requests': null,
  };
  const app = fixedHeaders(
    helmet({
      ...common,
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          ...base,
          'script-src': ["'self'"],
          'style-src': ["'self'", "'unsafe-inline'"],
          'worker-src': ["'self'", 'blob:'],
        },
      },
    }) as Middleware,
  );
  let graphiql: Middleware | null = null;
  return {
    app,
    graphiql: () => {
      graphiql ??= fixedHeaders(
        helmet({
          ...common,
          contentSecurityPolicy: {
            useDefaults: false,
            directives: {
              ...base,
              'script-src': ["'self'", graphiqlScriptHash()],
              'style-src': ["'self'", "'unsafe-inline'"],
              'worker-src': ["'self'", 'blob:'],
            },
          },
        }) as Middleware,
      );
      return graphiql;
    },
  };
}

/** `asksForSchema`'s answer per document (Yoga's parser cache hands every request of one text the same object). */
const schemaAsked = new WeakMap<DocumentNode, boolean>();

/**
 * `middleware`'s headers, worked out once: helmet rebuilds the same Content-Security-Policy string and walks its
 * chain of a dozen middlewares on every request (issue 11: 3.8 % of a `{ __typename }` request's CPU), although
 * with no directive computed per request (no nonce) the headers never change. Run once against a recording
 * response, then replayed; a middleware that does not finish at once, or fails, is kept as it is.
 */
function fixedHeaders(middleware: Middleware): Middleware {
  const steps: Array<[string, string | number | readonly string[] | null]> = [];
  let finished = false;
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => steps.push([name, value]),
    removeHeader: (name: string) => steps.push([name, null]),
  };
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    finished = error === undefined;
  });
  if (!finished) return middleware;
  return (_request, response, next) => {
    for (const [name, value] of steps) {
      if (value === null) response.removeHeader(name);
      else response.setHeader(name, value);
    }
    next();
  };
}

/** Whether a document asks for the schema (`__schema` or `__type`; `__typename` is ordinary). Walked once per document. */
export function asksForSchema(document: DocumentNode): boolean {
  const known = schemaAsked.get(document);
  if (known !== undefined) return known;
  let found = false;
  visit(document, {
    [Kind.FIELD]: (node) => {
      if (node.name.value === '__schema' || node.name.value === '__type') {
        found = true;
        return false;
      }
      return undefined;
    },
  });
  schemaAsked.set(document, found);
  return found;
}

/**
 * Envelop plugin: introspection as the policy says, on every transport. Checked at execution, where the
 * caller's session is known: an anonymous caller under `signed-in` (or anyone under `none`) gets a typed
 * `FORBIDDEN` instead of the schema.
 */
export function useIntrospectionPolicy(policy: IntrospectionPolicy): Plugin {
  return {
    onExecute: ({ args, setResultAndStopExecution }) => {
      if (policy === 'all' || !asksForSchema(args.document)) return;
      if (policy === 'signed-in' && (args.contextValue as Partial<Context>).session) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError(
            policy === 'none' ? 'L’introspection est désactivée.' : 'Connectez-vous pour consulter le schéma (introspection).',
            {
              extensions: { code: policy === 'none' ? 'FORBIDDEN' : 'UNAUTHENTICATED' },
            },
          ),
        ],
      });
    },
  };
}

/**
 * The GraphQL plugins of the security settings: introspection as the policy says, variable-coercion errors coded
 * `BAD_USER_INPUT`, and in production no suggestions (they reveal the schema name by name).
 */
export function productionPlugins(settings: SecuritySettings): Plugin[] {
  return [
    useIntrospectionPolicy(settings.introspection),
    useCoercionErrorCodes(),
    ...(settings.production ? [useNoSuggestions()] : []),
  ];
}

/**
 * graphql-js' suggestion sentences, wherever they end a message: `Did you mean "a" or "b"?` (fields, arguments,
 * types), `Did you mean the enum value "X"?` (enum literals and variables), `Did you mean to use an inline fragment
 * on "T"?`. Names hold no `?`, so the sentence ends at the first one.
 */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function dropSuggestions(errors: readonly unknown[] | undefined): void {
  for (const error of errors ?? []) {
    if (error instanceof GraphQLError && error.message.includes('Did you mean')) {
      error.message = error.message.replace(SUGGESTION, '');
    }
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof Object(value)[Symbol.asyncIterator] === 'function';

/**
 * Hooks on every error a document or an operation can produce, on every transport (HTTP, SSE, graphql-sse and
 * graphql-ws all run Yoga's envelop): validation errors, and the errors of execution and subscription results
 * (variable coercion among them), a subscription's events included. `refusedAtExecution`: a result without
 * `data`, the operation refused before it ran (variable coercion, a plugin's refusal).
 */
function onEveryError(fix: (result: ExecutionResult, refusedAtExecution: boolean) => void): Plugin {
  const fixResult = ({ result }: { result: unknown }) => {
    if (!isAsyncIterable(result)) fix(result as ExecutionResult, !('data' in (result as object)));
  };
  const eachResult = { onNext: ({ result }: { result: ExecutionResult }) => fix(result, false) };
  // The hooks of an operation read nothing of it but their payload: one object for every operation, rather than an
  // object and a closure each, which envelop keeps for a subscription's life (issue 11: each idle subscriber held them).
  const afterExecute = {
    onExecuteDone: (payload: { result: unknown }) => (isAsyncIterable(payload.result) ? eachResult : fixResult(payload)),
  };
  const afterSubscribe = {
    onSubscribeResult: (payload: { result: unknown }) => (isAsyncIterable(payload.result) ? eachResult : fixResult(payload)),
  };
  return {
    onValidate:
      () =>
      ({ result }) =>
        // Not a request refused at execution: validation errors keep Yoga's GRAPHQL_VALIDATION_FAILED.
        fix({ errors: result as readonly GraphQLError[] }, false),
    onExecute: () => afterExecute,
    onSubscribe: () => afterSubscribe,
  };
}

/**
 * Production: no "Did you mean…" in any error. graphql-armor's block-field-suggestions (3.0.1, its latest) only
 * rewrites validation errors whose suggestion is a quoted name list, so enum values (`Did you mean the enum value
 * "COMMONS"?`) and variable-coercion errors, found at execution, kept theirs.
 */
export function useNoSuggestions(): Plugin {
  return onEveryError((result) => dropSuggestions(result.errors));
}

/**
 * A variable whose value does not fit its type (`Variable "$k" got invalid value…`) is refused by graphql-js
 * before execution, with no code: it gets `BAD_USER_INPUT`, like every other refused input.
 */
export function useCoercionErrorCodes(): Plugin {
  return onEveryError((result, refusedAtExecution) => {
    if (!refusedAtExecution) return;
    for (const error of result.errors ?? []) {
      if (error instanceof GraphQLError && error.extensions.code === undefined && error.message.startsWith('Variable "$')) {
        (error.extensions as Record<string, unknown>).code = 'BAD_USER_INPUT';
      }
    }
  });
}

/** Yoga's CORS setting: only the configured origins, or none at all (same-origin pages need no CORS). */
export function corsSetting(settings: SecuritySettings) {
  if (settings.corsOrigins.length === 0) return false as const;
  return {
    origin: settings.corsOrigins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'idempotency-key'],
    exposedHeaders: ['x-request-id'],
    credentials: false,
    maxAge: 600,
  };
}
