import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import { createGraphQLError, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { isClientGone } from '../errors.js';
import { jsonTooDeep } from '../limits/json.js';
import { logger } from '../observability/log.js';
import { clientGoneError } from './unavailable.js';

/** Handles one HTTP request. A rejected promise (or a throw) is answered 500 and logged, never left unhandled. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

/**
 * The HTTP routes outside GraphQL and the web app (`/metrics`, `/health`, `/ready`…), matched on the exact
 * path. A `GET` route answers `HEAD` too; a known path asked with another method gets 405 with `Allow`.
 *
 * ```ts
 * router.get('/health', (request, response) => response.end('ok'));
 * ```
 */
export class Router {
  readonly #routes = new Map<string, Map<string, RouteHandler>>();

  /** Adds a route; adding the same method and path twice is a programming error. */
  add(method: string, path: string, handler: RouteHandler): this {
    const methods = this.#routes.get(path) ?? new Map<string, RouteHandler>();
    if (methods.has(method)) throw new Error(`Route ${method} ${path} is already defined`);
    methods.set(method, handler);
    this.#routes.set(path, methods);
    return this;
  }

  get(path: string, handler: RouteHandler): this {
    return this.add('GET', path, handler);
  }

  post(path: string, handler: RouteHandler): this {
    return this.add('POST', path, handler);
  }

  /** The route's handler; `'method'` when the path is routed for other methods only; null when not routed. */
  find(method: string, path: string): RouteHandler | 'method' | null {
    const methods = this.#routes.get(path);
    if (!methods) return null;
    return methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined) ?? 'method';
  }

  /** The methods a path answers, for `Allow`. */
  allowed(path: string): string[] {
    const methods = [...(this.#routes.get(path)?.keys() ?? [])];
    return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  }
}

/**
 * The path of a request target, or null when it is not one a server should act on: not parseable, an
 * invalid percent-encoding (`/%E0%A4%A`, in the path or the query string), or a NUL byte in the path. Origin-form (`/a?b`), absolute-form and `*` parse.
 */
export function requestPath(target: string | undefined): string | null {
  let pathname: string;
  try {
    pathname = new URL(target ?? '/', 'http://localhost').pathname;
  } catch {
    return null;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
    // The query string too: GraphQL's parameters travel there, and a bad escape must not become U+FFFD.
    decodeURIComponent(target ?? '');
  } catch {
    return null;
  }
  return decoded.includes('\0') ? null : pathname;
}

/** Answers a short plain-text refusal (4xx), closing the connection when the request body was not read. */
export function refuse(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(`${message}\n`);
}

/**
 * Runs a handler so that nothing it does can end the process: a throw or a rejection is logged with its
 * stack and answered 500 (or, if the response had started, the connection is cut).
 */
export function runHandler(handler: RouteHandler, request: IncomingMessage, response: ServerResponse): void {
  const fail = (error: unknown) => {
    logger.error({ err: error, method: request.method, url: request.url }, 'HTTP request failed');
    if (response.headersSent) response.destroy();
    else refuse(response, 500, 'Internal server error.', { connection: 'close' });
  };
  try {
    const result = handler(request, response);
    if (result) result.catch(fail);
  } catch (error) {
    fail(error);
  }
}

export interface HttpRouting {
  router: Router;
  /** Where GraphQL is served (HTTP, SSE and the graphql-sse stream endpoint), and its handler. */
  graphql: { paths: readonly string[]; handler: RouteHandler };
  /** Everything else: the web app's files. */
  fallback: RouteHandler;
}

/** The HTTP server's request listener: a malformed target is a 400, then routes, GraphQL, and the web app. */
export function requestListener(routing: HttpRouting): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = requestPath(request.url);
    if (path === null) {
      refuse(response, 400, 'Malformed request target.', { connection: 'close' });
      return;
    }
    const method = request.method ?? 'GET';
    const route = routing.router.find(method, path);
    if (route === 'method') {
      refuse(response, 405, 'Method not allowed.', { allow: routing.router.allowed(path).join(', ') });
      return;
    }
    if (route) return runHandler(route, request, response);
    if (routing.graphql.paths.includes(path)) return runHandler(routing.graphql.handler, request, response);
    runHandler(routing.fallback, request, response);
  };
}

/**
 * Refuses request bodies in a content coding (415): browsers never compress what they send, and a compressed
 * body would be measured against the body-size limit before it inflates (a few kilobytes can inflate to
 * gigabytes). Yoga itself bounds the size of what it reads (`maxRequestBodySize`).
 */
export function identityBodiesOnly(handler: RouteHandler): RouteHandler {
  return (request, response) => {
    const coding = request.headers['content-encoding']?.trim().toLowerCase();
    if (coding && coding !== 'identity') {
      refuse(response, 415, 'Request bodies are accepted without content coding only.', { connection: 'close' });
      return;
    }
    return handler(request, response);
  };
}

/** Content types a GraphQL POST may have (the GraphQL-over-HTTP spec's JSON ones); anything else is a 415. */
const JSON_TYPES = ['application/json', 'application/graphql+json'];

/** The media type of a `Content-Type` header, without parameters, in lower case. */
function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A 400 for a request whose parameters are not what GraphQL over HTTP expects. */
function badRequest(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}

/** A 400 `BAD_USER_INPUT` (`limit: jsonDepth`) for JSON nested past the limit, refused before it is parsed. */
export function jsonTooDeepError(maxDepth: number): GraphQLError {
  return createGraphQLError(`The request's JSON is nested more than ${maxDepth} levels deep.`, {
    extensions: { http: { status: 400 }, code: 'BAD_USER_INPUT', limit: 'jsonDepth', maxDepth },
  });
}

/**
 * Yoga plugin for how GraphQL requests are read (GraphQL over HTTP):
 * - a POST must be JSON (`application/json`, `application/graphql+json`): form, multipart (file uploads are not a
 *   feature), `application/graphql` and anything else are answered 415 `BAD_REQUEST`, never executed;
 * - JSON nested more than `maxJsonDepth` levels (the body, or a GET's `variables`/`extensions`) is refused 400
 *   `BAD_USER_INPUT` after one linear scan, before `JSON.parse` spends time on it;
 * - a body or parameters that do not parse are a 400 `BAD_REQUEST` whose error quotes nothing of the request (Yoga's
 *   own JSON parser echoes the parser's message, body excerpt included, in `extensions.originalError`; its other
 *   parsers let a `SyntaxError` through as a 500).
 * Its parser is wrapped afterwards by Yoga's body-size limit (`maxRequestBodySize`).
 */
export function useRequestParsing(options: { maxJsonDepth: number }): Plugin {
  const { maxJsonDepth } = options;
  return {
    onRequestParse: ({ request, requestParser, setRequestParser, endResponse }) => {
      if (request.method === 'POST' && !JSON_TYPES.includes(mediaType(request))) {
        endResponse(
          Response.json(
            {
              errors: [
                {
                  message: 'GraphQL requests are accepted as application/json only.',
                  extensions: { code: 'BAD_REQUEST' },
                },
              ],
            },
            { status: 415, headers: { accept: JSON_TYPES.join(', ') } },
          ),
        );
        return;
      }
      if (request.method === 'POST') {
        setRequestParser(async (req) => {
          const text = await req.text();
          if (jsonTooDeep(text, maxJsonDepth)) throw jsonTooDeepError(maxJsonDepth);
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            throw badRequest('POST body sent invalid JSON.');
          }
          if (typeof body !== 'object' || body === null) throw badRequest('POST body is expected to be a JSON object.');
          return body as GraphQLParams;
        });
        return;
      }
      if (!requestParser) return;
      setRequestParser(async (req) => {
        const search = new URL(req.url).searchParams;
        for (const name of ['variables', 'extensions']) {
          const value = search.get(name);
          if (value && jsonTooDeep(value, maxJsonDepth)) throw jsonTooDeepError(maxJsonDepth);
        }
        try {
          return await requestParser(req);
        } catch (error) {
          if (error instanceof GraphQLError) throw error;
          throw badRequest('Malformed GraphQL request parameters.');
        }
      });
    },
  };
}

/** A GraphQL-shaped refusal answered from an `onRequest` hook (where Yoga's own error formatting does not run). */
function refusal(fetchAPI: { Response: typeof Response }, status: number, extensions: Record<string, unknown>, message: string) {
  return fetchAPI.Response.json({ errors: [{ message, extensions }] }, { status });
}

/**
 * The request's body as text, or `'tooLarge'` as soon as more than `maxBytes` arrived (the rest is not read).
 * A `Content-Length` over the limit is refused before anything is read.
 */
async function boundedText(request: Request, maxBytes: number): Promise<string | 'tooLarge'> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return 'tooLarge';
  if (!request.body) return '';
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = request.body.getReader();
  for (let step = await reader.read(); !step.done; step = await reader.read()) {
    length += step.value.byteLength;
    if (length > maxBytes) {
      await reader.cancel().catch(() => {});
      return 'tooLarge';
    }
    chunks.push(step.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Yoga plugin applying the request limits of `/graphql` (`useRequestParsing` and Yoga's `maxRequestBodySize`) to
 * paths whose requests Yoga's parser never sees: the graphql-sse endpoint (`/graphql/stream`) reads and parses its
 * requests itself, in its own `onRequest`, so without this its bodies were unbounded and never depth-scanned.
 * - a body larger than `maxBodyBytes` is refused 413 `REQUEST_ENTITY_TOO_LARGE`, reading stops there;
 * - JSON nested deeper than `maxJsonDepth` (the body, or a GET's `variables`/`extensions`) is refused 400
 *   `BAD_USER_INPUT` (`limit: jsonDepth`) after the same linear scan (`jsonTooDeep`), before anything parses it;
 * - a client hanging up mid-body is `CLIENT_CLOSED_REQUEST` (logged at debug: `clientGoneError`);
 * - otherwise the request goes on with its body read once, as text.
 * Goes before the plugins that handle those paths (their `onRequest` then sees the request it hands on).
 */
export function useBodyLimits(options: { paths: readonly string[]; maxBodyBytes: number; maxJsonDepth: number }): Plugin {
  const { maxBodyBytes, maxJsonDepth } = options;
  const tooDeep = (fetchAPI: { Response: typeof Response }) =>
    refusal(
      fetchAPI,
      400,
      { code: 'BAD_USER_INPUT', limit: 'jsonDepth', maxDepth: maxJsonDepth },
      `The request's JSON is nested more than ${maxJsonDepth} levels deep.`,
    );
  const clientGone = (fetchAPI: { Response: typeof Response }) => {
    const error = clientGoneError();
    return refusal(fetchAPI, 499, { code: error.extensions.code }, error.message);
  };
  return {
    async onRequest({ request, url, setRequest, endResponse, fetchAPI }) {
      if (!options.paths.includes(url.pathname)) return;
      for (const name of ['variables', 'extensions']) {
        const value = url.searchParams.get(name);
        if (value && jsonTooDeep(value, maxJsonDepth)) return endResponse(tooDeep(fetchAPI));
      }
      if (request.method === 'GET' || request.method === 'HEAD' || !request.body) return;
      let text: string | 'tooLarge';
      try {
        text = await boundedText(request, maxBodyBytes);
      } catch (error) {
        if (!isClientGone(error)) throw error;
        return endResponse(clientGone(fetchAPI));
      }
      // The client hung up mid-body: what arrived is cut short, and nobody is left to answer.
      if (request.signal.aborted) return endResponse(clientGone(fetchAPI));
      if (text === 'tooLarge')
        return endResponse(refusal(fetchAPI, 413, { code: 'REQUEST_ENTITY_TOO_LARGE' }, 'Request body too large'));
      if (jsonTooDeep(text, maxJsonDepth)) return endResponse(tooDeep(fetchAPI));
      setRequest(
        new fetchAPI.Request(request.url, {
          method: request.method,
          headers: request.headers,
          body: text,
          signal: request.signal,
        }),
      );
    },
  };
}
