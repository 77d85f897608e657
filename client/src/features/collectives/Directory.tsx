import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { gql, useMutation, useQuery } from 'urql';
import { describeError } from '../../errors';
import { fr, label } from '../../i18n/fr';
import { FocusHeading } from '../../ui/FocusHeading';
import { Notice } from '../../ui/Notice';
import { useDebouncedValue } from '../../ui/useDebouncedValue';

const PAGE_SIZE = 24;
const KINDS = ['COMMONS', 'SECTOR', 'BUSINESS'] as const;
type CollectiveKind = (typeof KINDS)[number];

interface Membership {
  id: string;
  role: string;
  status: string;
}

interface Collective {
  id: string;
  slug: string;
  name: string;
  kind: CollectiveKind;
  horizon: string | null;
  status: string;
  openness: string;
  purpose: string;
  sector: string | null;
  memberCount: number;
  viewerMembership: Membership | null;
}

interface DirectoryData {
  collectives: {
    totalCount: number;
    edges: { cursor: string; node: Collective }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const DIRECTORY = gql<DirectoryData, { first: number; kind?: CollectiveKind; search?: string }>`
  query Directory($first: Int!, $kind: CollectiveKind, $search: String) {
    collectives(first: $first, kind: $kind, search: $search) {
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
`;

type JoinResult =
  | { __typename: 'MutationJoinCollectiveSuccess'; data: Membership }
  | { __typename: 'RuleViolationError'; message: string; field: string | null; rule: string }
  | { __typename: 'NotFoundError'; message: string };

const JOIN_COLLECTIVE = gql<{ joinCollective: JoinResult }, { collectiveId: string }>`
  mutation JoinCollective($collectiveId: ID!) {
    joinCollective(input: { collectiveId: $collectiveId }) {
      __typename
      ... on MutationJoinCollectiveSuccess {
        data {
          id
          role
          status
        }
      }
      ... on Error {
        message
      }
      ... on RuleViolationError {
        field
        rule
      }
    }
  }
`;

/** The viewer counts as "in" a collective while their membership is active or awaiting approval. */
function isIn(membership: Membership | null): boolean {
  return membership?.status === 'ACTIVE' || membership?.status === 'PENDING';
}

function isKind(value: string): value is CollectiveKind {
  return (KINDS as readonly string[]).includes(value);
}

interface DirectoryProps {
  focusOnMount?: boolean;
}

export function Directory({ focusOnMount }: DirectoryProps) {
  const id = useId();
  const [kind, setKind] = useState<CollectiveKind | ''>('');
  const [search, setSearch] = useState('');
  const [pages, setPages] = useState(1);
  const debouncedSearch = useDebouncedValue(search.trim());
  const listRef = useRef<HTMLUListElement>(null);
  const focusFromIndex = useRef<number | null>(null);

  const [{ data, fetching, error }, refetch] = useQuery({
    query: DIRECTORY,
    variables: { first: PAGE_SIZE * pages, kind: kind || undefined, search: debouncedSearch || undefined },
    // Joining a collective returns a Membership: refetch the directory so viewerMembership and memberCount follow.
    context: useMemo(() => ({ additionalTypenames: ['Membership'] }), []),
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
        <div className="field field--grow">
          <label htmlFor={`${id}-search`}>{fr.directory.search}</label>
          <input
            id={`${id}-search`}
            type="search"
            value={search}
            placeholder={fr.directory.searchPlaceholder}
            autoComplete="off"
            onChange={(event) => {
              setSearch(event.currentTarget.value);
              setPages(1);
            }}
          />
        </div>
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
  const canJoin = collective.kind === 'COMMONS' && !isIn(membership);

  async function handleJoin() {
    if (fetching) return;
    setFeedback(null);
    const result = await join({ collectiveId: collective.id });
    const payload = result.data?.joinCollective;
    if (payload?.__typename === 'MutationJoinCollectiveSuccess') {
      setFeedback({ tone: 'success', text: fr.directory.joined(collective.name) });
      // The button goes away once the directory refetches: keep focus inside the card.
      headingRef.current?.focus();
    } else if (payload && 'message' in payload) {
      setFeedback({ tone: 'error', text: payload.message });
    } else {
      setFeedback({ tone: 'error', text: result.error ? describeError(result.error) : fr.errors.unexpected });
    }
  }

  const kindText = collective.horizon
    ? `${label(fr.kinds, collective.kind)} ${label(fr.horizons, collective.horizon)}`
    : label(fr.kinds, collective.kind);

  return (
    <article className="collective" aria-labelledby={`${id}-name`}>
      <h3 ref={headingRef} id={`${id}-name`} className="collective__name" tabIndex={-1}>
        {collective.name}
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
          <p className="muted">{fr.directory.yourRole(label(fr.roles, membership.role))}</p>
        ) : null}
        {membership?.status === 'PENDING' ? <p className="muted">{fr.directory.pending}</p> : null}
        {canJoin ? (
          <button
            type="button"
            className="button button--primary"
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
