import { fr, label } from '../i18n/fr';

/** A sector of activity, as the API's `Sector` enum names it (the keys of its French labels). */
export type Sector = keyof typeof fr.sectors;
const SECTORS = Object.keys(fr.sectors) as Sector[];

/** A directory's search box (in its `<search>` filters): typed text as it is, trimmed and debounced by the caller. */
export function SearchField({
  id,
  label: text,
  placeholder,
  testId,
  value,
  onChange,
}: {
  id: string;
  label: string;
  placeholder: string;
  testId: string;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <div className="field field--grow">
      <label htmlFor={id}>{text}</label>
      <input
        id={id}
        type="search"
        data-testid={testId}
        value={value}
        placeholder={placeholder}
        autoComplete="off"
        onChange={(event) => onChange(event.currentTarget.value)}
      />
    </div>
  );
}

/** A directory's filter by sector: every sector by its French name, or '' for all of them. */
export function SectorFilter({
  id,
  testId,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  value: Sector | '';
  onChange(value: Sector | ''): void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{fr.filters.sector}</label>
      <select
        id={id}
        data-testid={testId}
        value={value}
        onChange={(event) => onChange(SECTORS.find((known) => known === event.currentTarget.value) ?? '')}
      >
        <option value="">{fr.filters.allSectors}</option>
        {SECTORS.map((sector) => (
          <option key={sector} value={sector}>
            {label(fr.sectors, sector)}
          </option>
        ))}
      </select>
    </div>
  );
}
