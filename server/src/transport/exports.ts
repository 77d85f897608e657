import type { IncomingMessage, ServerResponse } from 'node:http';
import { create as contentDisposition } from 'content-disposition';
import { GraphQLError } from 'graphql';
import { createContext, type ServerContext } from '../context.js';
import { type ExportFormat, exportTenderResponse } from '../domain/exports.js';
import { logger } from '../observability/log.js';
import { parseGlobalId } from '../schema/ids.js';
import { refuse as refuseCoded } from './http.js';

/** Where a tender response is downloaded: `GET /exports/tender-response?id=<global ID>&format=docx|markdown`. */
export const EXPORT_PATH = '/exports/tender-response';

const FORMATS: Record<string, ExportFormat> = { docx: 'DOCX', markdown: 'MARKDOWN', md: 'MARKDOWN' };

/** A refusal coded like the API's (`transport/http.ts`' `refuse`), never cached. */
function refuse(response: ServerResponse, status: number, message: string, extensions: Record<string, unknown> = {}): void {
  refuseCoded(response, status, message, { 'cache-control': 'no-store' }, extensions);
}

/**
 * Sends a tender response as a file, for the holder of the `Authorization: Bearer` token: the same content and
 * rights as the `exportTenderResponse` query, with the name in `Content-Disposition` as RFC 6266 and RFC 5987 say
 * (`filename*=UTF-8''…` keeps the accents; `filename` is an ASCII fallback). 401 without a live session, 404 for a
 * response the viewer may not see, 400 for a malformed request, 413 for a response past `EXPORT_MAX_BYTES`, 429 past
 * the export queue or the caller's exports in flight.
 */
export function exportRoute(server: ServerContext) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const format = FORMATS[(query.get('format') ?? 'docx').toLowerCase()];
    let responseId: string | null = null;
    try {
      // The schema's own reading: an ID that is not base64 of `TenderResponse:<uuid>` is refused here (it reached
      // the database as a malformed UUID and answered 500 with Pothos' default decoder).
      const decoded = parseGlobalId(query.get('id') ?? '');
      if (decoded.typename === 'TenderResponse') responseId = decoded.id;
    } catch {
      responseId = null;
    }
    if (!format || !responseId)
      return refuse(response, 400, 'Attendu : ?id=<ID global d’une réponse à appel d’offres>&format=docx|markdown.');
    const context = await createContext(server, { connectionParams: { authorization: request.headers.authorization } });
    if (!context.session) return refuse(response, 401, 'Connectez-vous d’abord : envoyez Authorization: Bearer <jeton>.');
    let file: Awaited<ReturnType<typeof exportTenderResponse>>;
    try {
      file = await exportTenderResponse(context, responseId, format);
    } catch (error) {
      if (error instanceof GraphQLError && error.extensions.limit === 'exportBytes')
        return refuse(response, 413, error.message, { code: error.extensions.code, limit: 'exportBytes' });
      // Past the export queue or the caller's exports in flight (limits/work.ts).
      if (error instanceof GraphQLError && error.extensions.code === 'RATE_LIMITED')
        return refuse(response, 429, error.message, { code: 'RATE_LIMITED', limit: error.extensions.limit });
      throw error;
    }
    if (!file) return refuse(response, 404, 'Réponse à appel d’offres introuvable.');
    logger.info({ responseId, format, bytes: file.content.length }, 'Tender response exported');
    response.writeHead(200, {
      'content-type': file.mimeType,
      'content-length': file.content.length,
      'content-disposition': contentDisposition(file.filename, { fallback: file.asciiFilename }),
      'cache-control': 'private, no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : file.content);
  };
}
