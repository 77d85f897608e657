import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
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

/**
 * The `extensions.code` of a refusal by its HTTP status, as graphql-sse's are coded (transport/sse.ts): the API's
 * codes where one fits, `BAD_REQUEST` for another 4xx, `INTERNAL_SERVER_ERROR` for a 5xx.
 */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST');
}

const CODE_BY_STATUS: Record<number, string> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  408: 'REQUEST_TIMEOUT',
  413: 'REQUEST_ENTITY_TOO_LARGE',
  429: 'RATE_LIMITED',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
};

/** A refusal's body: `{ errors: [{ message, extensions: { code } }] }`, as every GraphQL refusal of the API. */
function refusalBody(status: number, message: string, extensions: Record<string, unknown>): string {
  return JSON.stringify({ errors: [{ message, extensions: { code: codeForStatus(status), ...extensions } }] });
}

/**
 * Answers a refusal (4xx, or a 500) shaped like the API's GraphQL ones: JSON `{ errors: [{ message, extensions }] }`,
 * `extensions.code` from the status (`codeForStatus`) unless `extensions` names one, the message in French as the
 * API's are. A response already started is cut instead.
 */
export function refuse(
  response: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  extensions: Record<string, unknown> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body = refusalBody(status, message, extensions);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(body);
}

/** What Node's HTTP parser refuses before a request exists, by its error code: the status and the French message. */
const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'En-têtes de requête trop volumineux.'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Extensions de bloc trop volumineuses.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Requête trop lente : le délai pour l’envoyer est dépassé.'],
};

/**
 * The HTTP server's `clientError` listener: what Node's parser refuses (a malformed request line or header, a
 * head past `HTTP_MAX_HEADER_BYTES`, a request slower than its timeouts) is answered as Node would (400, 431, 413
 * or 408, then the connection is closed) but with a typed body like every refusal of the API. A client that
 * already hung up (`ECONNRESET`) is just let go. Logged at debug: these are the caller's doing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex & { _httpMessage?: ServerResponse | null }) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, message] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Requête HTTP mal formée.'];
  logger.debug({ code: error.code, status }, 'HTTP request refused by the parser');
  // Only when nothing of a response has gone out on this connection (Node's own rule), or the peer would be misled.
  if (!socket._httpMessage?.headersSent) socket.write(rawRefusal(status, message));
  socket.destroy();
}

/** A whole HTTP/1.1 refusal (head and typed JSON body, `Connection: close`), for a socket with no response object. */
function rawRefusal(status: number, message: string, headers: Record<string, string> = {}): string {
  const body = refusalBody(status, message, {});
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n${extra.join('')}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Refuses a WebSocket upgrade request (Node hands it over as a bare socket): the same typed JSON refusal as any
 * other, then the socket is closed once it is written.
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(rawRefusal(status, message, headers));
}

/**
 * Runs a handler so that nothing it does can end the process: a throw or a rejection is logged with its
 * stack and answered 500 (or, if the response had started, the connection is cut).
 */
export function runHandler(handler: RouteHandler, request: IncomingMessage, response: ServerResponse): void {
  const fail = (error: unknown) => {
    logger.error({ err: error, method: request.method, url: request.url }, 'HTTP request failed');
    if (response.headersSent) response.destroy();
    else refuse(response, 500, 'Erreur inattendue du serveur.', { connection: 'close' });
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

/** Methods GraphQL answers over HTTP (OPTIONS: CORS preflights, answered by Yoga). */
const GRAPHQL_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];

/** The HTTP server's request listener: a malformed target is a 400, then routes, GraphQL, and the web app. */
export function requestListener(routing: HttpRouting): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = requestPath(request.url);
    if (path === null) {
      refuse(response, 400, 'Adresse de requête mal formée.', { connection: 'close' });
      return;
    }
    // Node's own check (`requireHostHeader`) answers without a body: this one is coded like every refusal.
    if (request.httpVersion === '1.1' && request.headers.host === undefined) {
      refuse(response, 400, 'En-tête Host manquant.', { connection: 'close' });
      return;
    }
    const method = request.method ?? 'GET';
    const route = routing.router.find(method, path);
    if (route === 'method') {
      refuse(response, 405, 'Méthode non acceptée à cette adresse.', { allow: routing.router.allowed(path).join(', ') });
      return;
    }
    if (route) return runHandler(route, request, response);
    if (routing.graphql.paths.includes(path)) {
      // Yoga's own 405 is in English and uncoded; graphql-sse's path also takes PUT and DELETE.
      if (!GRAPHQL_METHODS.includes(method) && !(path !== routing.graphql.paths[0] && ['PUT', 'DELETE'].includes(method))) {
        refuse(response, 405, 'Méthode non acceptée : GET ou POST seulement.', { allow: 'GET, POST' });
        return;
      }
      return runHandler(routing.graphql.handler, request, response);
    }
    runHandler(routing.fallback, request, response);
  };
}

/**
 * Refuses request bodies in a content coding (415): browsers never compress what they send, and a compressed
 * body would be measured against the body-size limit before it inflates (a few kilobytes can inflate to
 * gigabytes). `useRequestParsing` bounds the size of what it reads.
 */
export function identityBodiesOnly(handler: RouteHandler): RouteHandler {
  return (request, response) => {
    const coding = request.headers['content-encoding']?.trim().toLowerCase();
    if (coding && coding !== 'identity') {
      refuse(response, 415, 'Le corps de la requête est accepté sans compression (Content-Encoding) seulement.', {
        connection: 'close',
      });
      return;
    }
    return handler(request, response);
  };
}

/** Content types a GraphQL POST may have (the GraphQL-over-HTTP spec's JSON ones); anything else is a 415. */
const JSON_TYPES = ['application/json', 'application/graphql+json'];

/**
 * The media type of a request's `Content-Type` (RFC 9110 §8.3.1: `type/subtype` before any `;` parameter), in lower
 * case; a header that merely contains a type among its parameters (`text/plain; x=application/json`) is not that type.
 * Used by `/graphql` and `/graphql/stream` alike.
 */
export function mediaType(request: Request): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** A 400 for a request whose parameters are not what GraphQL over HTTP expects. */
function badRequest(message: string): GraphQLError {
  return createGraphQLError(message, { extensions: { http: { status: 400 }, code: 'BAD_REQUEST' } });
}

/** A 400 `BAD_USER_INPUT` (`limit: jsonDepth`) for JSON nested past the limit, refused before it is parsed. */
export function jsonTooDeepError(maxDepth: number): GraphQLError {
  return createGraphQLError(`Le JSON de la requête est imbriqué sur plus de ${maxDepth} niveaux.`, {
    extensions: { http: { status: 400 }, code: 'BAD_USER_INPUT', limit: 'jsonDepth', maxDepth },
  });
}

/** A 413 for a body over `HTTP_MAX_BODY_BYTES` (as Yoga's own limit coded it). */
function bodyTooLarge(): GraphQLError {
  return createGraphQLError('Corps de requête trop volumineux.', {
    extensions: { http: { status: 413 }, code: 'REQUEST_ENTITY_TOO_LARGE' },
  });
}

/**
 * A POST's body as text, at most `maxBytes` of it (413 past that, 400 for a `Content-Length` that is not one
 * number). With a `Content-Length`, Node's HTTP parser ends the body there, so a declared length within the limit
 * is read whole, at once; a chunked body is counted as it arrives and reading stops past the limit. Yoga's own
 * limit piped every body through a web TransformStream instead (issue 11: 8.5 % of a `{ __typename }` request's
 * CPU), so it is off (`maxRequestBodySize: false` in app.ts) and this one applies.
 */
async function limitedBody(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !/^\d+$/.test(declared)) throw badRequest('En-tête Content-Length invalide.');
  if (declared !== null && Number(declared) > maxBytes) throw bodyTooLarge();
  const text = declared !== null ? await request.text() : await boundedText(request, maxBytes);
  // A length declared by a caller of `fetch` (no HTTP parser in between) is checked against what came.
  if (text === 'tooLarge' || (declared !== null && Buffer.byteLength(text) > maxBytes)) throw bodyTooLarge();
  return text;
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
 * - a POST body is read up to `maxBodyBytes` (413 `REQUEST_ENTITY_TOO_LARGE` past it, see `limitedBody`).
 */
export function useRequestParsing(options: { maxJsonDepth: number; maxBodyBytes: number }): Plugin {
  const { maxJsonDepth, maxBodyBytes } = options;
  return {
    onRequestParse: ({ request, requestParser, setRequestParser, endResponse }) => {
      if (request.method === 'POST' && !JSON_TYPES.includes(mediaType(request))) {
        endResponse(
          Response.json(
            {
              errors: [
                {
                  message: 'Les requêtes GraphQL sont acceptées en application/json seulement.',
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
          const text = await limitedBody(req, maxBodyBytes);
          if (jsonTooDeep(text, maxJsonDepth)) throw jsonTooDeepError(maxJsonDepth);
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            throw badRequest('Le corps de la requête n’est pas du JSON valide.');
          }
          if (typeof body !== 'object' || body === null) throw badRequest('Le corps de la requête doit être un objet JSON.');
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
          throw badRequest('Paramètres de requête GraphQL mal formés.');
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
 * Yoga plugin applying the request limits of `/graphql` (`useRequestParsing`) to
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
      `Le JSON de la requête est imbriqué sur plus de ${maxJsonDepth} niveaux.`,
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
        return endResponse(refusal(fetchAPI, 413, { code: 'REQUEST_ENTITY_TOO_LARGE' }, 'Corps de requête trop volumineux.'));
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
