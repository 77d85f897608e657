import { useState } from 'react';
import { bearer, readToken } from '../../client';
import { editorStrings as t } from './strings';

type Format = 'markdown' | 'docx';

/** The file name a `Content-Disposition` header gives: RFC 5987's `filename*` (accents kept) first, else `filename`. */
export function filenameOf(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback;
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      return decodeURIComponent(extended.trim());
    } catch {
      // A malformed encoding: take the plain name below.
    }
  }
  return /filename\s*=\s*"([^"]*)"/i.exec(disposition)?.[1] ?? fallback;
}

function save(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the whole response (cover, contents, numbered sections) as DOCX or Markdown, under its own name. */
export function ExportButtons({ responseId }: { responseId: string }) {
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(format: Format) {
    setBusy(format);
    setError(null);
    try {
      const authorization = bearer(readToken());
      const response = await fetch(`/exports/tender-response?id=${encodeURIComponent(responseId)}&format=${format}`, {
        headers: authorization ? { authorization } : {},
      });
      if (!response.ok) {
        setError(t.exportError);
        return;
      }
      save(
        await response.blob(),
        filenameOf(response.headers.get('content-disposition'), `reponse.${format === 'docx' ? 'docx' : 'md'}`),
      );
    } catch {
      setError(t.networkError);
    } finally {
      setBusy(null);
    }
  }

  return (
    <fieldset className="export-buttons">
      <legend className="visually-hidden">{t.export}</legend>
      <button
        type="button"
        className="button button--small"
        disabled={busy !== null}
        onClick={() => void run('docx')}
        data-testid="export-docx"
      >
        {t.exportDocx}
      </button>
      <button
        type="button"
        className="button button--small"
        disabled={busy !== null}
        onClick={() => void run('markdown')}
        data-testid="export-markdown"
      >
        {t.exportMarkdown}
      </button>
      {error ? <p role="alert">{error}</p> : null}
    </fieldset>
  );
}
