import { MUTATION_ERROR } from '../../errors';
import { graphql } from '../../graphql';

export const SECTION_FIELDS = graphql(`
  fragment EditorSection on TenderSection {
    id
    title
    kind
    status
    position
    restricted
    dueAt
    effectiveDueAt
    wordCount
    characterCount
    wordLimit
    characterLimit
    isOverLimit
    assignee {
      id
      displayName
    }
    reviewer {
      id
      displayName
    }
    approval {
      approvedAt
      isStale
      contentHash
      reviewer {
        id
        displayName
      }
    }
  }
`);

export const TENDER_RESPONSE = graphql(
  `
  query EditorTenderResponse($id: ID!) {
    viewer {
      id
      displayName
    }
    node(id: $id) {
      __typename
      id
      ... on TenderResponse {
        title
        isSubmitted
        viewerCanChange
        collective {
          id
          name
        }
        checklist {
          total
          done
          inReview
          overLimit
          progress
        }
        sections {
          ...EditorSection
        }
      }
    }
  }
`,
  [SECTION_FIELDS],
);

export const SECTION_VERSIONS = graphql(`
  query EditorSectionVersions($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on TenderSection {
        versions(first: 30) {
          totalCount
          edges {
            node {
              id
              name
              automatic
              createdAt
              author {
                id
                displayName
              }
            }
          }
        }
      }
    }
  }
`);

export const COLLECTIVE_ACTIVITY = graphql(`
  subscription EditorCollectiveActivity($collectiveId: ID!, $after: String) {
    collectiveActivity(collectiveId: $collectiveId, after: $after) {
      __typename
      ... on ActivityEvent {
        position
        type
        subjectId
        payload
      }
      ... on ResyncRequired {
        reason
        resumeAfter
      }
    }
  }
`);

export const SAVE_VERSION = graphql(
  `
  mutation EditorSaveSectionVersion($input: SaveSectionVersionInput!) {
    saveSectionVersion(input: $input) {
      __typename
      ... on MutationSaveSectionVersionSuccess {
        data {
          id
          name
        }
      }
      ...MutationError
    }
  }
`,
  [MUTATION_ERROR],
);

export const RESTORE_VERSION = graphql(
  `
  mutation EditorRestoreSectionVersion($input: RestoreSectionVersionInput!) {
    restoreSectionVersion(input: $input) {
      __typename
      ... on MutationRestoreSectionVersionSuccess {
        data {
          ...EditorSection
        }
      }
      ...MutationError
    }
  }
`,
  [SECTION_FIELDS, MUTATION_ERROR],
);

export const APPROVE_SECTION = graphql(
  `
  mutation EditorApproveSection($input: ApproveSectionInput!) {
    approveSection(input: $input) {
      __typename
      ... on MutationApproveSectionSuccess {
        data {
          ...EditorSection
        }
      }
      ...MutationError
    }
  }
`,
  [SECTION_FIELDS, MUTATION_ERROR],
);

export const CHANGE_STATUS = graphql(
  `
  mutation EditorChangeSectionStatus($input: ChangeTenderSectionStatusInput!) {
    changeTenderSectionStatus(input: $input) {
      __typename
      ... on MutationChangeTenderSectionStatusSuccess {
        data {
          ...EditorSection
        }
      }
      ...MutationError
    }
  }
`,
  [SECTION_FIELDS, MUTATION_ERROR],
);
