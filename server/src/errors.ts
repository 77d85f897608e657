import type { GraphQLError } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/**
 * Expected failures. Each class is a GraphQL type (see schema/errors.ts) that a mutation returns as a
 * typed result; anything else thrown is unexpected and masked by Yoga.
 */

/** The rules the server keeps; each broken rule names one of these. */
export const RULES = {
  REQUIRED: 'A value is required.',
  TOO_LONG: 'The value is too long.',
  NAME_TAKEN: 'Another collective already has this name.',
  NAME_WITHOUT_LETTERS: 'A name needs at least one letter or digit: its address on the site is made of them.',
  COMMONS_MUST_BE_OPEN: 'A commons collective is open to every member.',
  SECTOR_REQUIRED: 'A sector collective names its sector.',
  HORIZON_REQUIRED: 'A business collective is one-off or long-term.',
  HORIZON_ONLY_FOR_BUSINESS: 'Only business collectives have a horizon.',
  OBJECTIVE_REQUIRED: 'A one-off business collective needs an objective.',
  TARGET_DATE_REQUIRED: 'A one-off business collective needs a target date.',
  TARGET_DATE_IN_PAST: 'The target date must not be in the past.',
  NO_TARGET_DATE_FOR_LONG_TERM: 'A long-term business collective has no deadline.',
  COMMONS_ANIMATOR_MUST_BE_ASSOCIATE: 'A commons collective is animated by an associate entrepreneur.',
  COMMONS_CO_ANIMATOR_MUST_BE_SUPPORT_STAFF: 'The co-animator of a commons collective is a member of the support staff.',
  MEMBER_NOT_ACTIVE: 'This person is no longer in the cooperative.',
  COLLECTIVE_CLOSED: 'The collective is closed.',
  ALREADY_MEMBER: 'Already a member of this collective.',
  ALREADY_PENDING: 'A request or invitation is already pending.',
  INVITATION_ONLY: 'This collective is joined by invitation only.',
  NOT_SAME_SECTOR: 'A sector collective gathers people of its trade.',
  NOT_PENDING: 'This membership is not pending.',
  NOT_A_MEMBER: 'Not an active member of this collective.',
  ALREADY_ANIMATOR: 'Already the animator of this collective.',
  INVALID_STATUS_CHANGE: 'This status change is not allowed.',
  ALREADY_LEFT_COOPERATIVE: 'This person has already left the cooperative.',
  SECTOR_OF_A_COLLECTIVE: 'You belong to a sector collective of this trade: leave it before removing the trade.',
  NOT_CHANGEABLE: 'This can no longer be changed.',
  OPPORTUNITY_LOT_NUMBER_TAKEN: 'Two lots of one opportunity never share a number.',
  OPPORTUNITY_LOT_IN_USE: 'A deal answers this lot: it cannot be removed.',
  OPPORTUNITY_DEADLINES_ORDER: 'The questions deadline falls at or before the submission deadline.',
  OPPORTUNITY_COOPERATIVE_BRINGER: 'An opportunity the cooperative brings is brought by a member of its support staff.',
  DEAL_NEEDS_BUSINESS_COLLECTIVE: 'Co-contracting deals belong to business collectives.',
  DEAL_LOT_OF_OTHER_OPPORTUNITY: "The lot belongs to another opportunity than the deal's.",
  DEAL_PARTNER_MEMBER_OR_COMPANY: 'A partner is either a member or an external company (name and SIRET), never both.',
  DEAL_PARTNER_SIRET_INVALID: 'Not a valid SIRET: 14 digits with a valid check key.',
  DEAL_SCOPE_OF_WORK_REQUIRED: "A joint group states each partner's scope of work.",
  DEAL_AMOUNT_REQUIRED: "A joint group states each partner's amount, above zero.",
  DEAL_GROUP_NEEDS_TWO_PARTIES: 'A group needs at least two distinct parties (the same member or SIRET twice is one).',
  DEAL_DUPLICATE_PARTNER: 'The same member or company appears twice among the partners.',
  DEAL_LEAD_REQUIRED: 'A group has exactly one lead (mandataire): name one.',
  DEAL_ONE_LEAD: 'A deal has at most one lead (mandataire).',
  DEAL_SHARES_NOT_100: "The partners' shares sum to exactly 10 000 basis points (100 %).",
  DEAL_AMOUNTS_NOT_TOTAL: "The partners' amounts sum to exactly the deal's total.",
  DEAL_PARTNERS_REQUIRED: 'A deal is submitted with its partners.',
  DEAL_SUBMISSION_DEADLINE_PASSED: "The opportunity's submission deadline has passed.",
  DEAL_FROZEN: 'The bid has been submitted: its form, total, lot and partners are frozen (partners change by substitution).',
  DEAL_NOT_SUBMITTED: 'Partners are substituted only once the bid is submitted; before that, set the partners.',
  DEAL_CLOSED: 'This deal is over (no-go, won, lost, unsuccessful or abandoned).',
  DEAL_PARTNER_SUBSTITUTED: 'This partner has already been substituted.',
  // ── Opportunities and deals (add deal rules above this line) ──
  DEAL_OR_CALL_FOR_PROJECTS: 'A tender response answers either a deal or a call for projects, not both.',
  NOT_A_CALL_FOR_PROJECTS: 'Without a deal, a tender response answers a call for projects.',
  RESPONSE_EXISTS: 'This deal already has its tender response.',
  SUBMITTED_READ_ONLY: 'The tender response has been submitted: it is read-only.',
  NOT_A_CONTRIBUTOR: 'Not an active member of the collective nor an active partner of the deal.',
  REVIEWER_REQUIRED: 'A section goes to review only with a reviewer, and keeps them while in review.',
  ONLY_REVIEWER_COMPLETES: "Only the section's reviewer marks it done.",
  DUE_AFTER_DEADLINE: "A section is due no later than the opportunity's submission deadline.",
  LIMIT_NOT_POSITIVE: 'A word or character limit is a positive whole number.',
  OWNER_REQUIRED: 'A restricted section names the partner that owns it.',
  RESTRICTED_SECTIONS_NEED_LEAD:
    'A restricted section would be left with no member to open it (its owner leaves or is a company, and the lead has no member): give it another owner or lift its restriction first.',
  LEAD_CHANGE_BY_LEAD:
    "The lead reads every restricted section: while there are any, only the lead's member names another lead (anyone, once that member has left the cooperative). With a company lead, or one from outside the collective, lift the restrictions first.",
  NOT_A_DEAL_PARTNER: "Not an active partner of the response's deal.",
  RESTRICTED_BY_OWNER_OR_LEAD: "Only the owner partner's member or the lead's member restricts a section to that partner.",
  RESTRICTED_CONTRIBUTOR: "A restricted section is assigned to and reviewed by its owner partner's member or the lead's member.",
  SECTION_STARTED: 'Only a section still to do and empty can be removed.',
  POSITION_OUT_OF_RANGE: "The position is outside the response's sections.",
  UPDATE_TOO_LARGE: 'The update is larger than the server accepts.',
  SECTION_TOO_LARGE: 'The section is as large as the server accepts: shorten it before adding more.',
  MALFORMED_UPDATE: 'The update is not a valid change of this section.',
  SECTION_DONE: 'The section is done: reopen it before editing.',
  TOO_MANY_VERSIONS:
    'The section keeps as many named versions as the server allows (SECTION_MAX_VERSIONS, SECTION_MAX_VERSION_BYTES).',
  // ── Tender responses (add tender rules above this line) ──
  STAND_NEEDS_BUSINESS_COLLECTIVE: 'Trade-show stands belong to business collectives (one-off or long-term).',
  STAND_OPENS_AFTER_CLOSES: 'An opening day opens before it closes.',
  STAND_HOURS_OFF_DAY: "An opening day's hours fall on that very day, Paris time.",
  STAND_DUPLICATE_OPENING_DAY: 'Each opening day is listed once.',
  STAND_SET_UP_AFTER_OPENING: 'Set-up starts no later than the first opening.',
  STAND_TEAR_DOWN_BEFORE_CLOSING: 'Tear-down ends no earlier than the last closing.',
  STAND_TEAR_DOWN_BEFORE_SET_UP: 'Tear-down ends after set-up starts.',
  STAND_CANCELLATION_BEFORE_REGISTRATION: 'The cancellation deadline comes no earlier than the registration deadline.',
  STAND_DEADLINE_AFTER_OPENING: 'Registration and cancellation deadlines fall on a day before the first opening day (Paris).',
  STAND_AREA_NOT_POSITIVE: "A stand's area is greater than zero.",
  STAND_COST_NOT_POSITIVE: 'A cost is a positive whole number of cents.',
  STAND_TOTAL_TOO_LARGE: "A stand's costs add up to at most 2 147 483 647 cents.",
  STAND_OPPORTUNITY_NOT_TRADE_SHOW: 'A stand answers a trade-show opportunity.',
  STAND_MINIMUM_STAFF_BELOW_ONE: 'A shift needs at least one person.',
  STAND_PAYER_NOT_PARTICIPANT: "Who pays the organiser is one of the stand's participants.",
  STAND_NOT_A_PARTICIPANT: 'Not a participant of this stand.',
  STAND_DUPLICATE_PARTICIPANT: 'A member appears twice among the participants.',
  STAND_DAYS_PRESENT_OUT_OF_RANGE: 'Days present are at most the number of opening days, and at least 1 for a pro rata split.',
  STAND_CUSTOM_SHARE_REQUIRED: 'A custom split gives every participant a share.',
  STAND_CUSTOM_SHARES_NOT_100: 'Custom shares sum to exactly 10 000 basis points (100 %).',
  SHIFT_ENDS_BEFORE_START: 'A shift ends after it starts.',
  SHIFT_OUTSIDE_OPENING_HOURS: 'A shift lies within the opening hours of one opening day.',
  SHIFT_OVERLAP: 'This member is already on an overlapping shift (of this or another stand).',
  SHIFT_ALREADY_ASSIGNED: 'This member is already on this shift.',
  SHIFT_NOT_ASSIGNED: 'This member is not on this shift.',
  // ── Trade-show stands (add stand rules above this line) ──
  LONG_TERM_BUSINESS_ONLY: 'Brands and products belong to long-term business collectives.',
  BRAND_HOLDERS_REQUIRED: 'A brand has at least one holder.',
  BRAND_HOLDER_DUPLICATE: 'A member appears twice among the holders.',
  BRAND_HOLDER_SHARE_OUT_OF_RANGE: "A holder's share is between 1 and 10 000 basis points.",
  BRAND_HOLDER_SHARES_NOT_100: "The holders' shares sum to exactly 10 000 basis points (100 %).",
  NOT_FILED_WITHOUT_FILING_DETAILS: 'A brand not filed has neither INPI number nor filing date.',
  INPI_NUMBER_REQUIRED: 'A filed brand has its INPI national number.',
  INPI_NUMBER_INVALID: 'An INPI national number is 6 to 9 digits, possibly followed by one letter.',
  FILED_ON_REQUIRED: 'A filed brand has its filing date.',
  FILED_ON_IN_FUTURE: 'The filing date cannot be in the future.',
  NICE_CLASSES_REQUIRED: 'A filed brand names at least one Nice class.',
  NICE_CLASS_OUT_OF_RANGE: 'Nice classes are numbered 1 to 45.',
  NICE_CLASS_DUPLICATE: 'A Nice class appears twice.',
  NOT_A_BRAND_HOLDER: 'Only the holders of the brand may do this.',
  USAGE_RULES_ALREADY_PENDING: 'Another version of the usage rules already awaits approval.',
  USAGE_RULES_NOT_PENDING: 'This version of the usage rules no longer awaits approval.',
  USAGE_RULES_ALREADY_APPROVED: 'This holder has already approved this version.',
  BRAND_USE_ALREADY_GRANTED: 'This member is already authorised to use the brand.',
  BRAND_USE_ALREADY_REVOKED: 'This authorisation has already been revoked.',
  BRAND_OF_ANOTHER_COLLECTIVE: "A product's brand belongs to the product's collective.",
  PRODUCT_OWNERS_REQUIRED: 'A product has at least one co-owner.',
  PRODUCT_OWNER_DUPLICATE: 'A member appears twice among the co-owners.',
  OWNER_HAS_REVENUE_SHARE: 'This co-owner has a share in a current or future revenue split; add a split without them first.',
  SPLIT_SHARES_REQUIRED: 'A revenue split has at least one share.',
  SPLIT_SHARE_DUPLICATE: 'A member appears twice in the revenue split.',
  SPLIT_SHARE_NOT_AN_OWNER: 'Only co-owners of the product have a share of its revenue.',
  SPLIT_SHARE_OUT_OF_RANGE: 'A revenue share is between 1 and 10 000 basis points.',
  SPLIT_SHARES_NOT_100: 'The shares of a revenue split sum to exactly 10 000 basis points (100 %).',
  SPLIT_PERIOD_INVALID: 'A validity period ends on or after the day it starts.',
  SPLIT_PERIOD_OVERLAP: 'Two revenue splits of one product never cover the same day.',
  SPLIT_PERIOD_HAS_SALES: 'Sales from this day on were already split by the rule in force; the split cannot change under them.',
  SALE_AMOUNT_NOT_POSITIVE: 'A sale amounts to at least one cent.',
  SALE_DATE_IN_FUTURE: 'A sale cannot be dated in the future.',
  NO_REVENUE_SPLIT_ON_DATE: 'No revenue split covers this day; add one first.',
  // ── Brands and products (add brand and product rules above this line) ──
  NOT_A_SECTOR_COLLECTIVE: 'Sector tools (prices, suppliers, service exchanges, referrals) live in sector collectives.',
  PRICE_NOT_POSITIVE: 'An observed price is a positive number of cents.',
  PRICE_MEDIAN_BELOW_MIN: 'The median price is at least the minimum price.',
  PRICE_MAX_BELOW_MEDIAN: 'The maximum price is at least the median price.',
  PRICE_SAMPLE_TOO_SMALL: 'A price reference sums up at least 3 observations, so that no one’s own prices show.',
  PRICE_PERIOD_ENDS_BEFORE_START: 'The observation period ends on or after the day it starts.',
  PRICE_PERIOD_IN_FUTURE: 'Prices are observed, not planned: the observation period ends today at the latest.',
  RATING_OUT_OF_RANGE: 'A rating is a whole number from 1 to 5.',
  ALREADY_RECOMMENDED: 'You already recommend this supplier in this collective: update that recommendation instead.',
  SERVICE_HOURS_OUT_OF_RANGE: 'A service exchange lasts more than 0 and at most 100 hours.',
  SERVICE_HOURS_NOT_QUARTER: 'Service hours are counted in quarter-hours (multiples of 0.25).',
  OWN_SERVICE: 'A member does not receive their own service.',
  REFERRAL_TO_SELF: 'A client is referred to another member.',
  REFERRAL_AMOUNT_REQUIRED: 'A quote needs its amount.',
  REFERRAL_AMOUNT_NOT_POSITIVE: 'A quoted or signed amount is more than 0 cents.',
  REFERRAL_AMOUNT_NOT_EXPECTED: 'An amount goes only with a quote or a signature.',
  // ── Sector tools (add sector-tool rules above this line) ──
} as const;

export type Rule = keyof typeof RULES;

/**
 * What each rule says to a person, in French: the message of a `RuleViolationError`, and the web app's sentence for
 * the rule (its catalogue reads this one, client/src/i18n/fr.ts). `RULES` holds the English description of the
 * schema's `Rule` enum, for developers.
 */
export const RULE_MESSAGES = {
  ALREADY_ANIMATOR: 'Cette personne anime déjà ce collectif.',
  ALREADY_LEFT_COOPERATIVE: 'Cette personne a déjà quitté la coopérative.',
  SECTOR_OF_A_COLLECTIVE:
    'Vous êtes membre d’un collectif de secteur de ce métier\xa0: quittez-le avant de retirer ce métier de votre profil.',
  ALREADY_MEMBER: 'Cette personne est déjà membre de ce collectif.',
  ALREADY_PENDING: 'Une demande ou une invitation est déjà en attente.',
  ALREADY_RECOMMENDED: 'Vous recommandez déjà ce fournisseur dans ce collectif\xa0: modifiez plutôt votre recommandation.',
  BRAND_HOLDERS_REQUIRED: 'Une marque a au moins un·e titulaire.',
  BRAND_HOLDER_DUPLICATE: 'Cette personne figure deux fois parmi les titulaires.',
  BRAND_HOLDER_SHARES_NOT_100: 'Les parts des titulaires doivent faire 100\xa0%.',
  BRAND_HOLDER_SHARE_OUT_OF_RANGE: 'Une part est comprise entre 0,01\xa0% et 100\xa0%.',
  BRAND_OF_ANOTHER_COLLECTIVE: 'Cette marque appartient à un autre collectif.',
  BRAND_USE_ALREADY_GRANTED: 'Cette personne est déjà autorisée à utiliser la marque.',
  BRAND_USE_ALREADY_REVOKED: 'Cette autorisation a déjà été révoquée.',
  COLLECTIVE_CLOSED: 'Ce collectif est clos.',
  COMMONS_ANIMATOR_MUST_BE_ASSOCIATE: 'L’animation d’un collectif biens communs revient à un·e entrepreneur·e associé·e.',
  COMMONS_CO_ANIMATOR_MUST_BE_SUPPORT_STAFF: 'La co-animation d’un collectif biens communs revient à l’équipe d’appui.',
  COMMONS_MUST_BE_OPEN: 'Un collectif biens communs est ouvert à toutes et tous\xa0: choisissez «\xa0Ouvert à tous\xa0».',
  DEAL_AMOUNTS_NOT_TOTAL: 'Les montants des partenaires doivent faire le montant total.',
  DEAL_AMOUNT_REQUIRED: 'Dans un groupement conjoint, chaque partenaire a un montant supérieur à zéro.',
  DEAL_CLOSED: 'Cette affaire est close.',
  DEAL_DUPLICATE_PARTNER: 'Ce partenaire figure deux fois.',
  DEAL_FROZEN:
    'L’offre est remise\xa0: sa forme, son montant, son lot et ses partenaires sont figés (un partenaire se remplace par substitution).',
  DEAL_GROUP_NEEDS_TWO_PARTIES: 'Un groupement réunit au moins deux parties distinctes.',
  DEAL_LEAD_REQUIRED: 'Un groupement a besoin d’un mandataire\xa0: désignez-le.',
  DEAL_LOT_OF_OTHER_OPPORTUNITY: 'Ce lot appartient à une autre opportunité.',
  DEAL_NEEDS_BUSINESS_COLLECTIVE: 'Les affaires en co-traitance appartiennent aux collectifs business.',
  DEAL_NOT_SUBMITTED:
    'Un partenaire se remplace par substitution seulement une fois l’offre remise\xa0; avant, modifiez les partenaires.',
  DEAL_ONE_LEAD: 'Un groupement a un seul mandataire.',
  DEAL_OR_CALL_FOR_PROJECTS: 'Une réponse porte soit sur une affaire, soit sur un appel à projets, pas les deux.',
  DEAL_PARTNERS_REQUIRED: 'Ajoutez les partenaires avant de remettre l’offre.',
  DEAL_PARTNER_MEMBER_OR_COMPANY: 'Un partenaire est soit un membre, soit une entreprise extérieure (raison sociale et SIRET).',
  DEAL_PARTNER_SIRET_INVALID: 'Ce numéro SIRET n’est pas valide (14 chiffres et une clé de contrôle).',
  DEAL_PARTNER_SUBSTITUTED: 'Ce partenaire a déjà été remplacé.',
  DEAL_SCOPE_OF_WORK_REQUIRED: 'Dans un groupement conjoint, chaque partenaire a sa part de travail.',
  DEAL_SHARES_NOT_100: 'Les parts des partenaires doivent faire 100\xa0%.',
  DEAL_SUBMISSION_DEADLINE_PASSED: 'La date limite de remise est passée\xa0: l’offre ne peut plus être marquée remise.',
  DUE_AFTER_DEADLINE: 'L’échéance d’une section tombe au plus tard à la date limite de remise.',
  FILED_ON_IN_FUTURE: 'La date de dépôt ne peut pas être dans le futur.',
  FILED_ON_REQUIRED: 'Une marque déposée a sa date de dépôt.',
  HORIZON_ONLY_FOR_BUSINESS: 'Seul un collectif business a un horizon.',
  HORIZON_REQUIRED: 'Choisissez l’horizon du collectif business\xa0: ponctuel ou long terme.',
  INPI_NUMBER_INVALID: 'Un numéro national INPI compte 6 à 9 chiffres, suivis éventuellement d’une lettre.',
  INPI_NUMBER_REQUIRED: 'Une marque déposée a son numéro national INPI.',
  INVALID_STATUS_CHANGE: 'Ce changement de statut n’est pas permis.',
  INVITATION_ONLY: 'Ce collectif est sur invitation uniquement.',
  LIMIT_NOT_POSITIVE: 'Une limite de mots ou de caractères est un nombre entier positif.',
  LONG_TERM_BUSINESS_ONLY: 'Marques et produits appartiennent aux collectifs business long terme.',
  MALFORMED_UPDATE: 'Cette modification du texte n’est pas valide.',
  MEMBER_NOT_ACTIVE: 'Cette personne n’est plus active dans la coopérative.',
  NAME_TAKEN: 'Ce nom est déjà pris.',
  NAME_WITHOUT_LETTERS: 'Un nom contient au moins une lettre ou un chiffre : l’adresse du collectif en est faite.',
  NICE_CLASSES_REQUIRED: 'Une marque déposée indique au moins une classe de Nice.',
  NICE_CLASS_DUPLICATE: 'Une classe de Nice figure deux fois.',
  NICE_CLASS_OUT_OF_RANGE: 'Les classes de Nice vont de 1 à 45.',
  NOT_A_BRAND_HOLDER: 'Seuls les titulaires de la marque peuvent faire cela.',
  NOT_A_CALL_FOR_PROJECTS: 'Sans affaire, une réponse porte sur un appel à projets.',
  NOT_A_CONTRIBUTOR: 'Cette personne n’est ni membre active du collectif, ni partenaire de l’affaire.',
  NOT_A_DEAL_PARTNER: 'Cette personne n’est pas partenaire de l’affaire.',
  NOT_A_MEMBER: 'Cette personne n’est pas membre active de ce collectif.',
  NOT_A_SECTOR_COLLECTIVE:
    'Les outils du secteur (prix, fournisseurs, échanges, prescriptions) vivent dans les collectifs de secteur.',
  NOT_CHANGEABLE: 'Cela ne peut plus être modifié.',
  NOT_FILED_WITHOUT_FILING_DETAILS: 'Une marque non déposée n’a ni numéro INPI ni date de dépôt.',
  NOT_PENDING: 'Cette demande n’est plus en attente.',
  NOT_SAME_SECTOR: 'Un collectif de secteur réunit des personnes de ce métier.',
  NO_REVENUE_SPLIT_ON_DATE: 'Aucune répartition des revenus ne couvre ce jour\xa0: ajoutez-en une d’abord.',
  NO_TARGET_DATE_FOR_LONG_TERM: 'Un collectif business long terme n’a pas de date cible.',
  OBJECTIVE_REQUIRED: 'Un collectif business ponctuel a besoin d’un objectif précis.',
  ONLY_REVIEWER_COMPLETES: 'Seule la personne qui relit la section la marque terminée.',
  OPPORTUNITY_COOPERATIVE_BRINGER: 'Une opportunité apportée par la coopérative l’est par un membre de l’équipe d’appui.',
  OPPORTUNITY_DEADLINES_ORDER: 'La date limite des questions tombe avant la date limite de remise.',
  OPPORTUNITY_LOT_IN_USE: 'Une affaire répond à ce lot\xa0: il ne peut pas être retiré.',
  OPPORTUNITY_LOT_NUMBER_TAKEN: 'Deux lots n’ont jamais le même numéro.',
  OWNER_HAS_REVENUE_SHARE:
    'Cette personne a une part dans une répartition en cours ou à venir\xa0: ajoutez d’abord une répartition sans elle.',
  OWNER_REQUIRED: 'Une section réservée indique le partenaire à qui elle revient.',
  OWN_SERVICE: 'On ne se rend pas un service à soi-même.',
  POSITION_OUT_OF_RANGE: 'Cette position est hors des sections de la réponse.',
  PRICE_MAX_BELOW_MEDIAN: 'Le prix maximum est au moins égal au prix médian.',
  PRICE_MEDIAN_BELOW_MIN: 'Le prix médian est au moins égal au prix minimum.',
  PRICE_NOT_POSITIVE: 'Un prix observé est supérieur à zéro.',
  PRICE_PERIOD_ENDS_BEFORE_START: 'La période d’observation finit le jour où elle commence ou après.',
  PRICE_PERIOD_IN_FUTURE: 'Les prix sont observés, pas prévus\xa0: la période finit aujourd’hui au plus tard.',
  PRICE_SAMPLE_TOO_SMALL: 'Un prix de référence résume au moins 3 observations, pour que les prix de chacun·e restent privés.',
  PRODUCT_OWNERS_REQUIRED: 'Un produit a au moins un·e copropriétaire.',
  PRODUCT_OWNER_DUPLICATE: 'Cette personne figure deux fois parmi les copropriétaires.',
  RATING_OUT_OF_RANGE: 'Une note est un nombre entier de 1 à 5.',
  REFERRAL_AMOUNT_NOT_EXPECTED: 'Un montant n’accompagne qu’un devis ou une signature.',
  REFERRAL_AMOUNT_NOT_POSITIVE: 'Le montant d’un devis ou d’une signature est supérieur à zéro.',
  REFERRAL_AMOUNT_REQUIRED: 'Un devis a besoin de son montant.',
  REFERRAL_TO_SELF: 'On prescrit un client à une autre personne que soi.',
  REQUIRED: 'Ce champ est obligatoire.',
  RESPONSE_EXISTS: 'Cette affaire a déjà sa réponse.',
  RESTRICTED_BY_OWNER_OR_LEAD: 'Seul le partenaire concerné ou le mandataire réserve une section à ce partenaire.',
  RESTRICTED_CONTRIBUTOR: 'Une section réservée est rédigée et relue par le partenaire concerné ou par le mandataire.',
  RESTRICTED_SECTIONS_NEED_LEAD:
    'Une section réservée n’aurait plus aucun membre pour l’ouvrir (son partenaire part ou est une entreprise, et le mandataire n’est pas un membre)\xa0: confiez-la d’abord à un autre partenaire ou levez sa réserve.',
  LEAD_CHANGE_BY_LEAD:
    'Le mandataire lit toutes les sections réservées\xa0: tant qu’il y en a, lui seul en désigne un autre (ou quiconque, s’il a quitté la coopérative). Si le mandataire est une entreprise ou n’est pas du collectif, levez d’abord les réserves.',
  REVIEWER_REQUIRED: 'Une section part en relecture avec une personne désignée pour la relire.',
  SALE_AMOUNT_NOT_POSITIVE: 'Une vente vaut au moins un centime.',
  SALE_DATE_IN_FUTURE: 'Une vente ne peut pas être datée dans le futur.',
  SECTION_DONE: 'La section est terminée\xa0: rouvrez-la pour la modifier.',
  SECTION_STARTED: 'Seule une section à faire et vide peut être supprimée.',
  SECTOR_REQUIRED: 'Un collectif de secteur d’activité a besoin d’un secteur.',
  SERVICE_HOURS_NOT_QUARTER: 'Les heures se comptent par quarts d’heure (0,25\xa0h).',
  SERVICE_HOURS_OUT_OF_RANGE: 'Un échange de services dure plus de 0 et au plus 100\xa0heures.',
  SHIFT_ALREADY_ASSIGNED: 'Cette personne est déjà sur ce créneau.',
  SHIFT_ENDS_BEFORE_START: 'Un créneau finit après son début.',
  SHIFT_NOT_ASSIGNED: 'Cette personne n’est pas sur ce créneau.',
  SHIFT_OUTSIDE_OPENING_HOURS: 'Un créneau tient dans les horaires d’ouverture d’un jour d’ouverture.',
  SHIFT_OVERLAP: 'Cette personne est déjà sur un créneau qui chevauche celui-ci (de ce stand ou d’un autre).',
  SPLIT_PERIOD_HAS_SALES:
    'Des ventes ont déjà été réparties à partir de ce jour\xa0: la répartition ne peut plus changer sous elles.',
  SPLIT_PERIOD_INVALID: 'Une période de validité finit le jour où elle commence ou après.',
  SPLIT_PERIOD_OVERLAP: 'Deux répartitions d’un même produit ne couvrent jamais le même jour.',
  SPLIT_SHARES_NOT_100: 'Les parts d’une répartition doivent faire 100\xa0%.',
  SPLIT_SHARES_REQUIRED: 'Une répartition a au moins une part.',
  SPLIT_SHARE_DUPLICATE: 'Cette personne figure deux fois dans la répartition.',
  SPLIT_SHARE_NOT_AN_OWNER: 'Seuls les copropriétaires du produit ont une part de ses revenus.',
  SPLIT_SHARE_OUT_OF_RANGE: 'Une part est comprise entre 0,01\xa0% et 100\xa0%.',
  STAND_AREA_NOT_POSITIVE: 'La surface d’un stand est supérieure à zéro.',
  STAND_CANCELLATION_BEFORE_REGISTRATION: 'La date limite d’annulation ne tombe pas avant celle d’inscription.',
  STAND_COST_NOT_POSITIVE: 'Un frais est un montant supérieur à zéro.',
  STAND_CUSTOM_SHARES_NOT_100: 'Les parts personnalisées doivent faire 100\xa0%.',
  STAND_CUSTOM_SHARE_REQUIRED: 'Une répartition personnalisée donne une part à chaque participant·e.',
  STAND_DAYS_PRESENT_OUT_OF_RANGE:
    'Les jours de présence vont au plus jusqu’au nombre de jours d’ouverture, et au moins 1 au prorata.',
  STAND_DEADLINE_AFTER_OPENING: 'Les dates limites d’inscription et d’annulation tombent avant le premier jour d’ouverture.',
  STAND_DUPLICATE_OPENING_DAY: 'Chaque jour d’ouverture figure une seule fois.',
  STAND_DUPLICATE_PARTICIPANT: 'Cette personne figure deux fois parmi les participant·es.',
  STAND_HOURS_OFF_DAY: 'Les horaires d’un jour d’ouverture tombent ce jour-là, heure de Paris.',
  STAND_MINIMUM_STAFF_BELOW_ONE: 'Un créneau a besoin d’au moins une personne.',
  STAND_NEEDS_BUSINESS_COLLECTIVE: 'Les stands appartiennent aux collectifs business.',
  STAND_NOT_A_PARTICIPANT: 'Cette personne ne participe pas à ce stand.',
  STAND_OPENS_AFTER_CLOSES: 'Un jour d’ouverture ouvre avant de fermer.',
  STAND_OPPORTUNITY_NOT_TRADE_SHOW: 'Un stand répond à une opportunité de type salon.',
  STAND_PAYER_NOT_PARTICIPANT: 'La personne qui paie l’organisateur participe au stand.',
  STAND_SET_UP_AFTER_OPENING: 'Le montage commence au plus tard à la première ouverture.',
  STAND_TEAR_DOWN_BEFORE_CLOSING: 'Le démontage finit au plus tôt à la dernière fermeture.',
  STAND_TEAR_DOWN_BEFORE_SET_UP: 'Le démontage finit après le début du montage.',
  STAND_TOTAL_TOO_LARGE: 'Le total des frais du stand est trop élevé.',
  SUBMITTED_READ_ONLY: 'La réponse est remise\xa0: elle est en lecture seule.',
  TARGET_DATE_IN_PAST: 'La date cible est déjà passée.',
  TARGET_DATE_REQUIRED: 'Un collectif business ponctuel a besoin d’une date cible.',
  TOO_LONG: 'Ce texte est trop long.',
  UPDATE_TOO_LARGE:
    'Cette modification est trop volumineuse pour être enregistrée d’un coup\xa0: collez ce texte en plusieurs fois.',
  SECTION_TOO_LARGE: 'Cette section a atteint la taille maximale : raccourcissez-la avant d’en ajouter.',
  TOO_MANY_VERSIONS: 'Cette section garde déjà autant de versions nommées que le serveur le permet.',
  USAGE_RULES_ALREADY_APPROVED: 'Vous avez déjà approuvé cette version.',
  USAGE_RULES_ALREADY_PENDING: 'Une autre version du règlement d’usage attend déjà son approbation.',
  USAGE_RULES_NOT_PENDING: 'Cette version n’attend plus d’approbation.',
} as const satisfies Record<Rule, string>;

/** A cooperative rule the request would break. `field` names the input field at fault. */
export class RuleViolationError extends Error {
  override name = 'RuleViolationError';
  constructor(
    readonly field: string | null,
    readonly rule: Rule,
    message: string = RULE_MESSAGES[rule],
  ) {
    super(message);
  }
}

/**
 * The kinds of things an ID names, by GraphQL type name: the English noun the server's own messages use for it
 * and its French name, which a not-found answer shows (the web app prints it as is).
 */
export const KINDS = {
  Brand: ['brand', 'Marque'],
  BrandAuthorisedUser: ['authorisation', 'Autorisation d’usage de la marque'],
  BrandUsageRuleVersion: ['version of the usage rules', 'Version du règlement d’usage'],
  Collective: ['collective', 'Collectif'],
  Deal: ['deal', 'Affaire'],
  DealPartner: ['partner in this deal', 'Partenaire de l’affaire'],
  Member: ['member', 'Membre'],
  Membership: ['membership', 'Adhésion au collectif'],
  Opportunity: ['opportunity', 'Opportunité'],
  OpportunityLot: ['lot', 'Lot'],
  PriceReference: ['price reference', 'Prix de référence'],
  Product: ['product', 'Produit'],
  ProductSale: ['sale', 'Vente'],
  Referral: ['referral', 'Prescription'],
  RevenueSplitRule: ['revenue split', 'Répartition des revenus'],
  SectionVersion: ['version', 'Version de section'],
  ServiceExchange: ['service exchange', 'Échange de services'],
  StandCostLine: ['cost line', 'Ligne de frais'],
  StandShift: ['shift', 'Créneau'],
  SupplierRecommendation: ['supplier recommendation', 'Recommandation de fournisseur'],
  TenderResponse: ['tender response', 'Réponse à l’appel d’offres'],
  TenderSection: ['section', 'Section de réponse'],
  TradeShowStand: ['stand', 'Stand de salon'],
  Resource: ['resource', 'Ressource'],
  Node: ['node', 'Élément'],
} as const satisfies Record<string, readonly [string, string]>;

export type Kind = keyof typeof KINDS;

/**
 * The French sentence for "no `kind` by this ID that you may see": `kind` is a GraphQL type name (`TenderSection`)
 * or the English noun of one (`section`); anything else gives a generic sentence.
 */
export function notFoundMessage(kind: string | null | undefined): string {
  if (!kind) return 'Introuvable.';
  const entry = Object.hasOwn(KINDS, kind)
    ? KINDS[kind as Kind]
    : Object.values(KINDS).find(([noun]) => noun === kind.toLowerCase());
  return entry ? `${entry[1]} introuvable.` : 'Introuvable.';
}

/**
 * The thing does not exist, or the viewer may not know it exists. `kind` names what was looked for (a GraphQL type
 * name or its English noun, see `KINDS`); the message is French and names it (`Section de réponse introuvable.`).
 */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
  constructor(
    readonly field: string | null,
    readonly kind: string | null = null,
    message = notFoundMessage(kind),
  ) {
    super(message);
  }
}

/**
 * The refusal of an operation that needs a signed-in caller and has none (never signed in, signed out here or on
 * another instance, session expired): a top-level GraphQL error coded `UNAUTHENTICATED` that says to sign in.
 */
export function unauthenticatedError(): GraphQLError {
  return createGraphQLError('Connectez-vous d’abord.', { extensions: { code: 'UNAUTHENTICATED' } });
}

/** Whether `error` is `unauthenticatedError`'s kind of refusal (coded `UNAUTHENTICATED`). */
export function isUnauthenticated(error: unknown): boolean {
  return (error as GraphQLError | null)?.extensions?.code === 'UNAUTHENTICATED';
}

/** The viewer may see the thing but not do this to it. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
  constructor(message = 'Vous n’avez pas le droit de faire cela.') {
    super(message);
  }
}

export class InvalidCredentialsError extends Error {
  override name = 'InvalidCredentialsError';
  constructor() {
    super('Adresse e-mail inconnue ou mot de passe erroné.');
  }
}

/**
 * A service the request needs (PostgreSQL, Redis) cannot be reached right now: nothing was decided, the caller
 * retries later. Answered as `extensions.code: UNAVAILABLE` (HTTP 503); over graphql-ws the socket is closed
 * with 1013 "try again later" (see `transport/unavailable.ts`).
 */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(message = 'Service momentanément indisponible : réessayez dans un instant.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Prisma's codes for a database it cannot reach or lost on the way: can't reach (P1001), timed out (P1002,
 * P1008), closed the connection (P1017), pool timeout (P2024), too many connections (P2037).
 */
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2037']);
/** Prisma driver-adapter error kinds meaning the same (`@prisma/adapter-pg`'s `convertDriverError`). */
const ADAPTER_UNAVAILABLE = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
/** Socket errors of `pg`, `ioredis` and Node itself. */
const SOCKET_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01–57P03 (shutting down, crashed, not yet accepting
 * connections), 53300 (too many connections), and the deadlines of db/database.ts' `DatabaseDeadlines`: 55P03
 * (`lock_timeout` passed: a lock held elsewhere), 57014 (`statement_timeout` passed, or the statement cancelled) and
 * 25P03 (`idle_in_transaction_session_timeout` passed: the transaction's link went silent, its connection ended).
 * Nothing was committed; a retry once the lock is gone succeeds.
 */
const SQLSTATE_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[1-3]|53300|55P03|57014|25P03)$/;
/**
 * Prisma's transaction errors (P2028) that mean the database did not answer in time, measured by its own clocks:
 * no pooled connection became free within `maxWait` (every connection stuck on a server that went away, or
 * waiting to reconnect), or the transaction outlived its `timeout`. Nothing was committed either way (Prisma rolls
 * back), so a retry is safe; the other P2028 messages (a transaction used after it closed) are bugs, left alone.
 */
const TRANSACTION_UNAVAILABLE = /Unable to start a transaction in the given time|cannot be executed on an expired transaction/;
/** What `pg` and `ioredis` say, without a code, when a connection dies under a query. */
const MESSAGE_UNAVAILABLE =
  /Connection terminated|terminating connection due to (unexpected postmaster exit|administrator command|crash of another server process)|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Connection is closed|Can't reach database server|Server has closed the connection|timeout expired/i;

/**
 * Whether `error` (or anything in its `cause`/`originalError` chain) says a service is unreachable rather than
 * that the request is wrong: a connection refused, reset or timed out, a server shutting down, Prisma's
 * connection codes. Such a failure is retryable; the caller gets `UNAVAILABLE`, never "Unexpected error".
 */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  if (error instanceof UnavailableError) return true;
  // Node's ECONNRESET for a client hanging up is the caller leaving, not a service down.
  if (depth === 0 && isClientGone(error)) return false;
  const candidate = error as {
    code?: unknown;
    kind?: unknown;
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    extensions?: { code?: unknown };
    meta?: { driverAdapterError?: unknown };
  };
  // Already answered as such (a GraphQL error Yoga's masking made UNAVAILABLE).
  if (candidate.extensions?.code === 'UNAVAILABLE') return true;
  if (typeof candidate.code === 'string') {
    if (PRISMA_UNAVAILABLE.has(candidate.code) || SOCKET_UNAVAILABLE.has(candidate.code)) return true;
    if (SQLSTATE_UNAVAILABLE.test(candidate.code)) return true;
  }
  if (typeof candidate.kind === 'string') {
    if (ADAPTER_UNAVAILABLE.has(candidate.kind)) return true;
    if (candidate.kind === 'postgres' && typeof candidate.code === 'string' && SQLSTATE_UNAVAILABLE.test(candidate.code))
      return true;
  }
  if (typeof candidate.message === 'string' && MESSAGE_UNAVAILABLE.test(candidate.message)) return true;
  if (candidate.code === 'P2028' && typeof candidate.message === 'string' && TRANSACTION_UNAVAILABLE.test(candidate.message))
    return true;
  // Prisma's known request error wrapping the pg adapter's (a server killed under a query: SQLSTATE 57P01 in it).
  const quoted = typeof candidate.message === 'string' ? /Database error\. Code: `([0-9A-Z]{5})`/.exec(candidate.message) : null;
  if (quoted?.[1] && SQLSTATE_UNAVAILABLE.test(quoted[1])) return true;
  return (
    isUnavailable(candidate.cause, depth + 1) ||
    isUnavailable(candidate.originalError, depth + 1) ||
    isUnavailable(candidate.meta?.driverAdapterError, depth + 1)
  );
}

/** A wait for a pooled connection that ran out (Prisma's `maxWait`, `LanedPool.connect`'s deadline). */
const CONNECTION_WAIT = /Unable to start a transaction in the given time|timeout exceeded when trying to connect/;

/**
 * Whether `error` (or anything in its `cause`/`originalError` chain) is only a wait for a pooled connection that
 * ran out: Prisma's P2028 "Unable to start a transaction in the given time" (`maxWait`), or the pool's own deadline
 * ("timeout exceeded when trying to connect"). Still `isUnavailable`, but it does not say the database is down: a
 * pool whose connections are all busy on a database that answers gives it too (db/write-queue.ts asks the database
 * before treating it as an outage).
 */
export function isConnectionWait(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  const candidate = error as {
    message?: unknown;
    cause?: unknown;
    originalError?: unknown;
    meta?: { driverAdapterError?: unknown };
  };
  if (typeof candidate.message === 'string' && CONNECTION_WAIT.test(candidate.message)) return true;
  return (
    isConnectionWait(candidate.cause, depth + 1) ||
    isConnectionWait(candidate.originalError, depth + 1) ||
    isConnectionWait(candidate.meta?.driverAdapterError, depth + 1)
  );
}

/**
 * Whether `error` (or anything in its `cause`/`originalError` chain) is the client going away mid-request: Node's
 * `aborted` error (code `ECONNRESET`) on a request whose connection closed before its body arrived. Not a fault and not an outage: nobody is left to answer, it is logged at `debug` and
 * counted as an aborted request (`status="aborted"`), never as a 5xx.
 */
export function isClientGone(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 8) return false;
  const candidate = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };
  // node:_http_server's connResetException('aborted'), emitted by an IncomingMessage whose socket closed early.
  if (candidate.code === 'ECONNRESET' && candidate.message === 'aborted') return true;
  return isClientGone(candidate.cause, depth + 1) || isClientGone(candidate.originalError, depth + 1);
}
