import type { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * What the libraries under the API (graphql-yoga's parameter checks, graphql-sse, graphql-ws, ws) say in English,
 * said in French: every message the API sends is French and coded, but for graphql-js' own errors about a GraphQL
 * document (`Syntax Error: …`, `Cannot query field…`, `Variable "$x" got invalid value…`), which stay English for
 * the developer who wrote it (see SECURITY.md). Each entry matches one library message, anchored; an unknown
 * message is left as it is (tests/edge/french-messages.test.ts fails on any English that reaches a caller).
 */
const LIBRARY_MESSAGES: ReadonlyArray<readonly [RegExp, (...groups: string[]) => string]> = [
  // graphql-yoga: request parsing and parameter checks (plugins/request-parser, plugins/request-validation).
  [/^POST body sent invalid JSON/, () => 'Le corps de la requête n’est pas du JSON valide.'],
  [/^POST body is expected to be object/, () => 'Le corps de la requête doit être un objet JSON.'],
  [/^Invalid "params" in the request body/, () => 'Paramètres de requête GraphQL invalides.'],
  [
    /^Unexpected parameter "(.{0,80}).*" in the request body\.$/s,
    (name = '') => `Paramètre inattendu « ${name} » : seuls query, variables, operationName et extensions sont acceptés.`,
  ],
  [/^Expected params to be an object/, () => 'Les paramètres de la requête doivent former un objet JSON.'],
  [/^(Must provide query string\.|Missing query)$/, () => 'Document GraphQL manquant : le paramètre « query » est requis.'],
  [/^(Expected "query" param to be a string|Invalid query$)/, () => 'Le paramètre « query » doit être une chaîne de caractères.'],
  [
    /^(Expected "variables" param to be empty or an object|Invalid variables$)/,
    () => 'Le paramètre « variables » doit être absent ou un objet JSON.',
  ],
  [
    /^(Expected "extensions" param to be empty or an object|Invalid extensions$)/,
    () => 'Le paramètre « extensions » doit être absent ou un objet JSON.',
  ],
  [
    /^(Could not determine what operation to execute\.|Unable to detect operation AST)$/,
    () => 'Opération introuvable dans le document : nommez celle à exécuter (operationName).',
  ],
  [
    /^(Can only perform a mutation operation from a POST request\.|Cannot perform mutations over GET)$/,
    () => 'Une mutation s’envoie en POST, jamais en GET.',
  ],
  [/^Request body too large/, () => 'Corps de requête trop volumineux.'],
  [/^Content-Length header is invalid/, () => 'En-tête Content-Length invalide.'],
  [/^Batching is (not supported|limited)/, () => 'Une seule opération par requête : les lots (tableaux JSON) sont refusés.'],
  [/^GraphQL only supports GET and POST requests/, () => 'Méthode non acceptée : GET ou POST seulement.'],
  [/^Unexpected error\.$/, () => 'Erreur inattendue du serveur.'],
  // graphql-sse: its handler's own refusals.
  [/^Stream already open$/, () => 'Ce flux est déjà ouvert.'],
  [/^Stream already registered$/, () => 'Ce flux est déjà réservé.'],
  [/^Stream not found$/, () => 'Flux introuvable : réservez-en un avec PUT, puis ouvrez-le.'],
  [/^Operation ID is missing$/, () => 'Identifiant d’opération manquant (extensions.operationId).'],
  [/^Operation with ID already exists$/, () => 'Une opération de ce flux porte déjà cet identifiant.'],
];

/** `message` in French when it is one of the libraries' English messages (`LIBRARY_MESSAGES`), else as it is. */
export function inFrench(message: string): string {
  for (const [pattern, french] of LIBRARY_MESSAGES) {
    const match = pattern.exec(message);
    if (match) return french(...match.slice(1));
  }
  return message;
}

/** Puts each error's message in French (`inFrench`), in place: Yoga's errors are GraphQLErrors with writable messages. */
export function errorsInFrench(errors: ReadonlyArray<{ message: string }> | undefined): void {
  for (const error of errors ?? []) {
    const french = inFrench(error.message);
    if (french !== error.message) error.message = french;
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof Object(value)[Symbol.asyncIterator] === 'function';

/**
 * Yoga plugin: the refusals Yoga answers itself (a body that is not JSON, a missing `query`, an unexpected parameter,
 * a mutation over GET, a body too large…) go out in French, keeping their code and status. `onResultProcess` sees
 * every HTTP answer, those made of a thrown request error included.
 */
export function useFrenchMessages(): Plugin {
  return {
    onResultProcess: ({ result }) => {
      for (const one of Array.isArray(result) ? result : [result]) {
        if (one && !isAsyncIterable(one)) errorsInFrench((one as { errors?: GraphQLError[] }).errors);
      }
    },
  };
}

/**
 * The French reason of a WebSocket close (at most 123 bytes, as RFC 6455 allows): graphql-ws' own closes (4400,
 * 4401, 4403, 4406, 4408, 4409, 4429, 4500), `ws`' protocol closes (1002, 1007, 1009: no reason of their own) and the
 * server's going away (1001), by their English reason, else by code; a reason of ours (already French) is kept.
 */
export function closeReason(code: number | undefined, reason: string | undefined): string | undefined {
  const english = reason ?? '';
  const french = CLOSE_REASONS.find(([pattern]) => pattern.test(english))?.[1] ?? (english ? null : CLOSE_BY_CODE[code ?? 0]);
  return french ?? reason;
}

const CLOSE_REASONS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^Subprotocol not acceptable$/, 'Sous-protocole refusé : graphql-transport-ws attendu.'],
  [/^Connection initialisation timeout$/, 'Délai dépassé : connection_init attendu.'],
  [/^Invalid message received$/, 'Message invalide.'],
  [/^Too many initialisation requests$/, 'connection_init envoyé deux fois.'],
  [/^Forbidden$/, 'Accès refusé : jeton de session inconnu ou expiré.'],
  [/^Unauthorized$/, 'Non authentifié : envoyez connection_init d’abord.'],
  [/^Subscriber for .* already exists$/s, 'Une opération de ce socket porte déjà cet identifiant.'],
  [/^Internal server error/, 'Erreur inattendue du serveur.'],
  [/^Going away$/, 'Le serveur s’arrête : reconnectez-vous.'],
];

const CLOSE_BY_CODE: Record<number, string> = {
  1001: 'Le serveur s’arrête : reconnectez-vous.',
  1002: 'Erreur de protocole WebSocket.',
  1007: 'Message qui n’est pas de l’UTF-8 valide.',
  1009: 'Message trop volumineux.',
};

/** `ws`' handshake refusals (its `wsClientError` messages), with the status it gives each, in French. */
export function handshakeRefusal(message: string): { status: number; message: string } {
  if (/HTTP method/.test(message)) return { status: 405, message: 'Méthode non acceptée : un WebSocket s’ouvre en GET.' };
  if (/Upgrade header/.test(message)) return { status: 400, message: 'En-tête Upgrade invalide : websocket attendu.' };
  if (/Sec-WebSocket-Key/.test(message)) return { status: 400, message: 'En-tête Sec-WebSocket-Key absent ou invalide.' };
  if (/Sec-WebSocket-Version/.test(message))
    return { status: 400, message: 'En-tête Sec-WebSocket-Version absent ou invalide : 13 attendu.' };
  if (/Sec-WebSocket-Protocol/.test(message)) return { status: 400, message: 'En-tête Sec-WebSocket-Protocol invalide.' };
  if (/Sec-WebSocket-Extensions/.test(message))
    return { status: 400, message: 'En-tête Sec-WebSocket-Extensions invalide ou non accepté.' };
  return { status: 400, message: 'Ouverture de WebSocket mal formée.' };
}
