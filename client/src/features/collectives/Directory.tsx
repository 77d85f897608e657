import { useEffect, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery } from 'urql';
import { describeError, MUTATION_ERROR, messageOf } from '../../errors';
import { graphql, type ResultOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { FocusHeading } from '../../ui/FocusHeading';
import { SearchField, type Sector, SectorFilter } from '../../ui/filters';
import { Notice } from '../../ui/Notice';
import { useDebouncedValue } from '../../ui/useDebouncedValue';
import { usePageTitle } from '../../ui/usePageTitle';

const PAGE_SIZE = 24;
const KINDS = ['COMMONS', 'SECTOR', 'BUSINESS'] as const;
const STATUSES = ['PROPOSED', 'ACTIVE', 'DORMANT', 'CLOSED'] as const;
type CollectiveKind = (typeof KINDS)[number];
type CollectiveStatus = (typeof STATUSES)[number];

const DIRECTORY = graphql(`
  query Directory($first: Int!, $kind: CollectiveKind, $status: CollectiveStatus, $sector: Sector, $search: String) {
    collectives(first: $first, kind: $kind, status: $status, sector: $sector, search: $search) {
      totalCount
      edges {
        cursor
        node {
          id
          slug
          name
          kind
          horizon
          status
          openness
          purpose
          sector
          memberCount
          viewerMembership {
            id
            role
            status
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

type Collective = ResultOf<typeof DIRECTORY>['collectives']['edges'][number]['node'];
type Membership = NonNullable<Collective['viewerMembership']>;

export const JOIN_COLLECTIVE = graphql(
  `
  mutation JoinCollective($collectiveId: ID!) {
    joinCollective(input: { collectiveId: $collectiveId }) {
      __typename
      ... on MutationJoinCollectiveSuccess {
        data {
          id
          role
          status
          collective {
            id
            memberCount
            viewerMembership {
              id
              role
              status
            }
          }
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

/** The viewer counts as "in" a collective while their membership is active or awaiting approval. */
function isIn(membership: Membership | null): boolean {
  return membership?.status === 'ACTIVE' || membership?.status === 'PENDING';
}

function isKind(value: string): value is CollectiveKind {
  return (KINDS as readonly string[]).includes(value);
}

function isStatus(value: string): value is CollectiveStatus {
  return (STATUSES as readonly string[]).includes(value);
}

interface DirectoryProps {
  focusOnMount?: boolean;
}

export function Directory({ focusOnMount }: DirectoryProps) {
  const id = useId();
  usePageTitle(fr.directory.title);
  const [kind, setKind] = useState<CollectiveKind | ''>('');
  const [status, setStatus] = useState<CollectiveStatus | ''>('');
  const [sector, setSector] = useState<Sector | ''>('');
  const [search, setSearch] = useState('');
  const [pages, setPages] = useState(1);
  const debouncedSearch = useDebouncedValue(search.trim());
  const listRef = useRef<HTMLUListElement>(null);
  const focusFromIndex = useRef<number | null>(null);

  const [{ data, fetching, error }, refetch] = useQuery({
    query: DIRECTORY,
    variables: {
      first: PAGE_SIZE * pages,
      kind: kind || undefined,
      status: status || undefined,
      sector: sector || undefined,
      search: debouncedSearch || undefined,
    },
  });

  const connection = data?.collectives;
  const collectives = connection?.edges.map((edge) => edge.node) ?? [];

  // After "show more", move focus to the first newly loaded collective: the button may disappear.
  useEffect(() => {
    const index = focusFromIndex.current;
    if (index === null || fetching || !listRef.current) return;
    const headings = listRef.current.querySelectorAll<HTMLElement>('.collective__name');
    if (headings.length > index) {
      headings[index]?.focus();
      focusFromIndex.current = null;
    }
  });

  return (
    <section className="directory" aria-labelledby={`${id}-title`}>
      <FocusHeading id={`${id}-title`} focusOnMount={focusOnMount}>
        {fr.directory.title}
      </FocusHeading>

      <search className="filters" aria-label={fr.directory.filters}>
        <div className="field">
          <label htmlFor={`${id}-kind`}>{fr.directory.kind}</label>
          <select
            id={`${id}-kind`}
            data-testid="directory-filter-kind"
            value={kind}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setKind(isKind(value) ? value : '');
              setPages(1);
            }}
          >
            <option value="">{fr.directory.allKinds}</option>
            {KINDS.map((value) => (
              <option key={value} value={value}>
                {fr.kinds[value]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-status`}>{fr.filters.status}</label>
          <select
            id={`${id}-status`}
            data-testid="directory-filter-status"
            value={status}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setStatus(isStatus(value) ? value : '');
              setPages(1);
            }}
          >
            <option value="">{fr.filters.allStatuses}</option>
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {fr.statuses[value]}
              </option>
            ))}
          </select>
        </div>
        <SectorFilter
          id={`${id}-sector`}
          testId="directory-filter-sector"
          value={sector}
          onChange={(value) => {
            setSector(value);
            setPages(1);
          }}
        />
        <SearchField
          id={`${id}-search`}
          label={fr.directory.search}
          placeholder={fr.directory.searchPlaceholder}
          testId="directory-search"
          value={search}
          onChange={(value) => {
            setSearch(value);
            setPages(1);
          }}
        />
      </search>

      <p className="muted" role="status">
        {connection ? fr.directory.count(collectives.length, connection.totalCount) : fetching ? fr.directory.loading : ''}
      </p>

      {error && !connection ? (
        <div className="stack">
          <Notice tone="error">{describeError(error)}</Notice>
          <button type="button" className="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>
            {fr.directory.retry}
          </button>
        </div>
      ) : null}

      {connection && collectives.length === 0 ? <p>{fr.directory.empty}</p> : null}

      {collectives.length > 0 ? (
        <ul ref={listRef} className="collective-grid" aria-busy={fetching} aria-labelledby={`${id}-title`}>
          {collectives.map((collective) => (
            <li key={collective.id}>
              <CollectiveCard collective={collective} />
            </li>
          ))}
        </ul>
      ) : null}

      {connection?.pageInfo.hasNextPage ? (
        <button
          type="button"
          className="button load-more"
          aria-disabled={fetching}
          onClick={() => {
            if (fetching) return;
            focusFromIndex.current = collectives.length;
            setPages((count) => count + 1);
          }}
        >
          {fr.directory.loadMore}
        </button>
      ) : null}
    </section>
  );
}

function CollectiveCard({ collective }: { collective: Collective }) {
  const id = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [{ fetching }, join] = useMutation(JOIN_COLLECTIVE);
  const [feedback, setFeedback] = useState<{ tone: 'error' | 'success'; text: string } | null>(null);
  const membership = collective.viewerMembership;
  const canJoin = collective.openness === 'OPEN' && collective.status !== 'CLOSED' && !isIn(membership);

  async function handleJoin() {
    if (fetching) return;
    setFeedback(null);
    const result = await join({ collectiveId: collective.id });
    const payload = result.data?.joinCollective;
    if (payload?.__typename === 'MutationJoinCollectiveSuccess') {
      setFeedback({ tone: 'success', text: fr.directory.joined(collective.name) });
      // The button goes away once the directory refetches: keep focus inside the card.
      headingRef.current?.focus();
    } else {
      setFeedback({ tone: 'error', text: messageOf(payload, result.error) });
    }
  }

  const kindText = collective.horizon
    ? `${label(fr.kinds, collective.kind)} ${label(fr.horizons, collective.horizon)}`
    : label(fr.kinds, collective.kind);

  return (
    <article className="collective" aria-labelledby={`${id}-name`} data-testid="collective-card" data-slug={collective.slug}>
      <h3 ref={headingRef} id={`${id}-name`} className="collective__name" tabIndex={-1}>
        <Link to={`/collectifs/${collective.slug}`}>{collective.name}</Link>
      </h3>
      <p className="badges">
        <span className={`badge badge--${collective.kind.toLowerCase()}`}>{kindText}</span>
        <span className="badge">{label(fr.statuses, collective.status)}</span>
      </p>
      {collective.purpose ? <p className="collective__purpose">{collective.purpose}</p> : null}
      <dl className="facts">
        <div>
          <dt>{fr.directory.opennessLabel}</dt>
          <dd>{label(fr.openness, collective.openness)}</dd>
        </div>
        {collective.sector ? (
          <div>
            <dt>{fr.directory.sectorLabel}</dt>
            <dd>{label(fr.sectors, collective.sector)}</dd>
          </div>
        ) : null}
        <div>
          <dt>{fr.directory.membersLabel}</dt>
          <dd>{fr.directory.memberCount(collective.memberCount)}</dd>
        </div>
      </dl>
      <div className="collective__actions">
        {membership?.status === 'ACTIVE' ? (
          <p className="muted" data-testid="membership-status" data-status="ACTIVE">
            {fr.directory.yourRole(label(fr.roles, membership.role))}
          </p>
        ) : null}
        {membership?.status === 'PENDING' ? (
          <p className="muted" data-testid="membership-status" data-status="PENDING">
            {fr.directory.pending}
          </p>
        ) : null}
        {canJoin ? (
          <button
            type="button"
            className="button button--primary"
            data-testid="join-button"
            aria-label={fr.directory.joinNamed(collective.name)}
            aria-disabled={fetching}
            aria-describedby={feedback?.tone === 'error' ? `${id}-feedback` : undefined}
            onClick={handleJoin}
          >
            {fetching ? fr.directory.joining : fr.directory.join}
          </button>
        ) : null}
        {feedback ? (
          <Notice id={`${id}-feedback`} tone={feedback.tone}>
            {feedback.text}
          </Notice>
        ) : null}
      </div>
    </article>
  );
}
