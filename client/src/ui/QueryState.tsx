import type { CombinedError } from 'urql';
import { describeError } from '../errors';
import { fr } from '../i18n/fr';
import { Notice } from './Notice';

interface QueryStateProps {
  fetching: boolean;
  error?: CombinedError | undefined;
  hasData: boolean;
  retry?(): void;
}

/** Loading and error states of a query, shown only while there is no data to display. */
export function QueryState({ fetching, error, hasData, retry }: QueryStateProps) {
  if (hasData) return null;
  if (error) {
    return (
      <div className="stack">
        <Notice tone="error">{describeError(error)}</Notice>
        {retry ? (
          <button type="button" className="button" onClick={retry}>
            {fr.common.retry}
          </button>
        ) : null}
      </div>
    );
  }
  if (fetching) {
    return (
      <p className="muted" role="status" aria-live="polite">
        {fr.common.loading}
      </p>
    );
  }
  return null;
}

/** The page for an ID or slug the viewer cannot see or that does not exist. */
export function NotFound() {
  return <Notice tone="error">{fr.common.notFound}</Notice>;
}
