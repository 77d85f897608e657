import { Component, type ErrorInfo, type ReactNode, useState } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../../graphql';
import { editorStrings as t } from './strings';

const SECTION_TEXT = graphql(`
  query SectionText($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on TenderSection {
        content {
          markdown
        }
      }
    }
  }
`);

interface Props {
  sectionId: string;
  children: ReactNode;
}

/**
 * Keeps a section the editor cannot show from blanking the whole page: React unmounts the root on an error thrown
 * while rendering, so the response's other sections and its list would go too. Shows a French notice instead, with
 * the section's text read-only (the server's Markdown, no editor) and a way to try again or reload.
 */
export class SectionErrorBoundary extends Component<Props, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    // Kept in the console for whoever reports it; the page itself says it in French.
    console.error('Section editor failed', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return <BrokenSection sectionId={this.props.sectionId} retry={() => this.setState({ failed: false })} />;
  }
}

function BrokenSection({ sectionId, retry }: { sectionId: string; retry(): void }) {
  const [reading, setReading] = useState(false);
  return (
    <div role="alert" className="unsaved-notice" data-testid="section-broken">
      <p className="unsaved-notice__line">
        <strong>{t.broken.title}</strong>
      </p>
      <p className="unsaved-notice__line">{t.broken.body}</p>
      <div className="row-actions">
        <button
          type="button"
          className="button button--small"
          aria-expanded={reading}
          data-testid="section-broken-read"
          onClick={() => setReading((open) => !open)}
        >
          {reading ? t.broken.hide : t.broken.read}
        </button>
        <button type="button" className="button button--small" onClick={retry}>
          {t.broken.retry}
        </button>
        <button type="button" className="button button--small" onClick={() => window.location.reload()}>
          {t.broken.reload}
        </button>
      </div>
      {reading ? <SectionText sectionId={sectionId} /> : null}
    </div>
  );
}

/** The section's text as the server stores it (Markdown), read-only: no editor involved. */
function SectionText({ sectionId }: { sectionId: string }) {
  const [{ data, fetching }] = useQuery({ query: SECTION_TEXT, variables: { id: sectionId } });
  const markdown = data?.node?.__typename === 'TenderSection' ? data.node.content.markdown : null;
  if (fetching && markdown === null) return <p aria-busy="true">{t.broken.loading}</p>;
  if (markdown === null) return <p>{t.broken.unavailable}</p>;
  return (
    <div className="editor-frame prewrap" data-testid="section-broken-text">
      {markdown.trim() ? markdown : t.broken.empty}
    </div>
  );
}
