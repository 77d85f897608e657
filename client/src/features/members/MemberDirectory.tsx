import { useId, useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql, type VariablesOf } from '../../graphql';
import { fr, label } from '../../i18n/fr';
import { SearchField, type Sector, SectorFilter } from '../../ui/filters';
import { QueryState } from '../../ui/QueryState';
import { useDebouncedValue } from '../../ui/useDebouncedValue';
import { usePageTitle } from '../../ui/usePageTitle';

const PAGE_SIZE = 30;

const MEMBERS = graphql(`
  query MemberDirectory($first: Int!, $search: String, $sector: Sector, $kind: MemberKind) {
    members(first: $first, search: $search, sector: $sector, kind: $kind) {
      totalCount
      edges {
        node {
          id
          displayName
          trade
          kind
          isAssociate
          sectors
        }
      }
      pageInfo {
        hasNextPage
      }
    }
  }
`);

type Kind = NonNullable<VariablesOf<typeof MEMBERS>['kind']>;

/** The cooperative's people: searched by name or trade, filtered by sector and kind. */
export function MemberDirectory() {
  const id = useId();
  usePageTitle(fr.members.title);
  const [search, setSearch] = useState('');
  const [sector, setSector] = useState<Sector | ''>('');
  const [kind, setKind] = useState<Kind | ''>('');
  const [pages, setPages] = useState(1);
  const debounced = useDebouncedValue(search.trim());
  const [{ data, fetching, error }, refetch] = useQuery({
    query: MEMBERS,
    variables: { first: PAGE_SIZE * pages, search: debounced || null, sector: sector || null, kind: kind || null },
  });
  const connection = data?.members;
  const members = connection?.edges.map((edge) => edge.node) ?? [];

  return (
    <section className="page stack" aria-labelledby={`${id}-title`}>
      <h1 id={`${id}-title`} tabIndex={-1}>
        {fr.members.title}
      </h1>
      <search className="filters" aria-label={fr.members.filters}>
        <SearchField
          id={`${id}-search`}
          label={fr.members.search}
          placeholder={fr.members.searchPlaceholder}
          testId="member-search"
          value={search}
          onChange={(value) => {
            setSearch(value);
            setPages(1);
          }}
        />
        <SectorFilter id={`${id}-sector`} testId="member-sector" value={sector} onChange={setSector} />
        <div className="field">
          <label htmlFor={`${id}-kind`}>{fr.members.kind}</label>
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setKind(value === 'ENTREPRENEUR' || value === 'SUPPORT_STAFF' ? value : '');
            }}
          >
            <option value="">{fr.members.allKinds}</option>
            <option value="ENTREPRENEUR">{fr.members.kinds.ENTREPRENEUR}</option>
            <option value="SUPPORT_STAFF">{fr.members.kinds.SUPPORT_STAFF}</option>
          </select>
        </div>
      </search>
      <p className="muted" role="status">
        {connection ? fr.members.count(members.length, connection.totalCount) : ''}
      </p>
      <QueryState
        fetching={fetching}
        error={error}
        hasData={!!connection}
        retry={() => refetch({ requestPolicy: 'network-only' })}
      />
      {connection && members.length === 0 ? <p>{fr.members.empty}</p> : null}
      <ul className="member-grid" aria-busy={fetching} data-testid="member-list">
        {members.map((member) => (
          <li key={member.id} className="card member-card" data-testid="member-card">
            <h2 className="card__title">
              <Link to={`/membres/${encodeURIComponent(member.id)}`}>{member.displayName}</Link>
            </h2>
            <p>{member.trade}</p>
            <p className="badges">
              <span className="badge">
                {member.kind === 'SUPPORT_STAFF'
                  ? fr.members.kinds.SUPPORT_STAFF
                  : member.isAssociate
                    ? fr.members.associate
                    : fr.members.kinds.ENTREPRENEUR}
              </span>
              {member.sectors.map((value) => (
                <span key={value} className="badge">
                  {label(fr.sectors, value)}
                </span>
              ))}
            </p>
          </li>
        ))}
      </ul>
      {connection?.pageInfo.hasNextPage ? (
        <button type="button" className="button load-more" aria-disabled={fetching} onClick={() => setPages((n) => n + 1)}>
          {fr.members.loadMore}
        </button>
      ) : null}
    </section>
  );
}
