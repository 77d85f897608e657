import { builder } from '../builder.js';

// The closed sets of the data model, as GraphQL enums with their meaning. The values are Prisma's.

/** A GraphQL enum whose every value carries its meaning. */
export function documentedEnum<const V extends string>(name: string, description: string, values: Record<V, string>) {
  return builder.enumType(name, {
    description,
    values: Object.fromEntries(
      Object.entries(values).map(([value, text]) => [value, { value, description: text as string }]),
    ) as {
      [K in V]: { value: K; description: string };
    },
  });
}

export const MemberKindEnum = documentedEnum('MemberKind', 'What a person is in the cooperative.', {
  ENTREPRENEUR: 'Runs an activity of their own inside the cooperative.',
  SUPPORT_STAFF: "Employee of the cooperative's support team (équipe d'appui).",
});

export const ContractKindEnum = documentedEnum('ContractKind', 'The contract that binds a member to the cooperative.', {
  CAPE: "Trial support contract (contrat d'appui au projet d'entreprise), not yet an employee.",
  CESA: 'Entrepreneur-employee contract, paid from their own turnover.',
  STAFF: 'Employment contract of the support staff.',
});

export const MemberSituationEnum = documentedEnum('MemberSituation', 'Whether a person is still in the cooperative.', {
  ACTIVE: 'In the cooperative.',
  LEFT: 'Has left the cooperative; every membership ended that day.',
});

export const SectorEnum = documentedEnum('Sector', 'A trade, shared by the members of a sector collective.', {
  WRITING: 'Writing, editing, translation.',
  COMMUNICATION: 'Communication and marketing.',
  DESIGN: 'Graphic, product and interior design.',
  DIGITAL: 'Web and software development.',
  HUMAN_RESOURCES: 'Human resources and coaching.',
  TRAINING: 'Training and teaching.',
  CONSULTING: 'Consulting.',
  ECOMMERCE: 'E-commerce and retail.',
  CRAFTS: 'Crafts and making.',
  BUILDING: 'Building and renovation.',
  WELLBEING: 'Health and wellbeing.',
  FOOD: 'Food and catering.',
});

export const CollectiveKindEnum = documentedEnum('CollectiveKind', 'The three kinds of collective.', {
  COMMONS: "Commons (biens communs): members take part in the cooperative's own decisions. Open to all.",
  SECTOR: 'Sector (secteur d’activité): people of one trade share practices, prices, suppliers and referrals.',
  BUSINESS: 'Business: members earn turnover together, one-off (a tender, a stand) or long-term (a brand, a product).',
});

export const BusinessHorizonEnum = documentedEnum('BusinessHorizon', 'How long a business collective is meant to last.', {
  ONE_OFF: 'A precise objective with a target date, usually one opportunity.',
  LONG_TERM: 'A lasting venture with no deadline, tied to a brand or a product.',
});

export const CollectiveStatusEnum = documentedEnum('CollectiveStatus', 'Where a collective is in its life.', {
  PROPOSED: 'Proposed by a member, not yet active.',
  ACTIVE: 'Active.',
  DORMANT: 'Inactive for now; may become active again.',
  CLOSED: 'Closed for good; every membership has ended.',
});

export const OpennessEnum = documentedEnum('Openness', 'How members join a collective.', {
  OPEN: 'Any active member joins at once.',
  ON_REQUEST: 'A request waits until an animator approves it.',
  CLOSED: 'By invitation only.',
});

export const MembershipRoleEnum = documentedEnum('MembershipRole', 'What a member does in a collective.', {
  ANIMATOR: 'Leads the collective; there is exactly one.',
  CO_ANIMATOR: 'Helps the animator; at most one.',
  MEMBER: 'Takes part.',
});

export const MembershipStatusEnum = documentedEnum('MembershipStatus', 'Where a membership stands.', {
  PENDING: 'A request awaiting an animator, or an invitation awaiting the invitee.',
  ACTIVE: 'A current member.',
  DECLINED: 'The request or invitation was declined.',
  LEFT: 'A past member; the membership is kept as history.',
});

export const MembershipOriginEnum = documentedEnum('MembershipOrigin', 'How a membership began.', {
  FOUNDER: 'Created the collective.',
  JOINED: 'Joined an open collective.',
  REQUESTED: 'Asked to join and was (or will be) approved.',
  INVITED: 'Was invited by an animator.',
});

export const LeaveReasonEnum = documentedEnum('LeaveReason', 'Why a membership ended.', {
  LEFT_COLLECTIVE: 'The member left the collective.',
  LEFT_COOPERATIVE: 'The member left the cooperative.',
  COLLECTIVE_CLOSED: 'The collective was closed.',
});
