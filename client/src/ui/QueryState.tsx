import { Link } from 'react-router';
import type { CombinedError } from 'urql';
import { describeError } from '../errors';
import { fr } from '../i18n/fr';
import { Notice } from './Notice';
import type { PageQuery } from './usePageQuery';
import { usePageTitle } from './usePageTitle';

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

/**
 * What a page shows for an ID or slug the viewer cannot see or that does not exist: a real not-found page. Given the
 * query's `error`, an empty answer that came with an error (the server unavailable, a timeout) shows that error and
 * `retry` instead: "not found" is said only when the server said so.
 */
export function NotFound({ error, retry }: { error?: CombinedError | undefined; retry?(): void } = {}) {
  if (error && !isMalformedAddress(error)) return <QueryState fetching={false} error={error} hasData={false} retry={retry} />;
  return <NotFoundSection />;
}

/**
 * An address whose ID the server refused as malformed (`BAD_USER_INPUT` on every error, nothing else wrong): to
 * whoever typed or followed it, that page does not exist, as for a well-formed ID of nothing.
 */
function isMalformedAddress(error: CombinedError): boolean {
  return (
    !error.networkError &&
    error.graphQLErrors.length > 0 &&
    error.graphQLErrors.every((graphQLError) => graphQLError.extensions?.code === 'BAD_USER_INPUT')
  );
}

/** The not-found page itself, which names the tab. */
function NotFoundSection() {
  usePageTitle(fr.notFound.title);
  return (
    <section className="page stack not-found" aria-labelledby="not-found-title" data-testid="not-found">
      <h1 id="not-found-title" tabIndex={-1}>
        {fr.notFound.title}
      </h1>
      <p>{fr.notFound.body}</p>
      <p>
        <Link className="button" to="/">
          {fr.notFound.home}
        </Link>
      </p>
    </section>
  );
}

/**
 * What a detail page shows while it has no entity to show: loading or the error while no answer has come, then
 * `NotFound` once an answer came without it.
 */
export function PageState({ data, fetching, error, refetch }: PageQuery<unknown>) {
  if (!data && !(error && isMalformedAddress(error)))
    return <QueryState fetching={fetching} error={error} hasData={false} retry={refetch} />;
  return <NotFound error={error} retry={refetch} />;
}

/** The route for an address the app does not know. */
export function NotFoundPage() {
  return <NotFound />;
}
