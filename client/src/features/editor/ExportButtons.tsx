import { useState } from 'react';
import { useClient } from 'urql';
import { EXPORT_RESPONSE } from './queries';
import { editorStrings as t } from './strings';

type Format = 'MARKDOWN' | 'DOCX';

function download(file: { filename: string; mimeType: string; base64: string }): void {
  const binary = atob(file.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  const url = URL.createObjectURL(new Blob([bytes], { type: file.mimeType }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads the whole response, section by section, as Markdown or DOCX. */
export function ExportButtons({ responseId }: { responseId: string }) {
  const client = useClient();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run(format: Format) {
    setBusy(format);
    setError(null);
    try {
      const result = await client.query(EXPORT_RESPONSE, { responseId, format }, { requestPolicy: 'network-only' }).toPromise();
      const file = result.data?.exportTenderResponse;
      if (file) download(file);
      else setError(t.exportError);
    } finally {
      setBusy(null);
    }
  }

  return (
    <fieldset className="export-buttons">
      <legend className="visually-hidden">{t.export}</legend>
      <button type="button" disabled={busy !== null} onClick={() => void run('MARKDOWN')} data-testid="export-markdown">
        {t.exportMarkdown}
      </button>
      <button type="button" disabled={busy !== null} onClick={() => void run('DOCX')} data-testid="export-docx">
        {t.exportDocx}
      </button>
      {error ? <p role="alert">{error}</p> : null}
    </fieldset>
  );
}
