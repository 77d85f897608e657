/**
 * The French catalogue: every string the interface shows lives here.
 * Typography: narrow no-break space (U+202F) before « ; ? ! », no-break space (U+00A0) before « : ».
 */
export const fr = {
  app: {
    name: 'Collectifs',
    tagline: 'Les collectifs de la coopérative',
    skipToContent: 'Aller au contenu',
    signedInAs: (name: string) => `Connecté·e en tant que ${name}`,
    signOut: 'Se déconnecter',
    signingOut: 'Déconnexion…',
    sessionExpired: 'Votre session a expiré. Merci de vous reconnecter.',
  },
  signIn: {
    title: 'Connexion',
    intro: 'Connectez-vous avec votre adresse e-mail de la coopérative.',
    email: 'Adresse e-mail',
    password: 'Mot de passe',
    submit: 'Se connecter',
    submitting: 'Connexion…',
    missingFields: 'Saisissez votre adresse e-mail et votre mot de passe.',
    invalidCredentials: 'Adresse e-mail ou mot de passe incorrect.',
  },
  directory: {
    title: 'Annuaire des collectifs',
    filters: 'Filtrer les collectifs',
    kind: 'Type de collectif',
    allKinds: 'Tous les types',
    search: 'Rechercher',
    searchPlaceholder: 'Nom, objet…',
    loading: 'Chargement des collectifs…',
    empty: 'Aucun collectif ne correspond à ces critères.',
    count: (shown: number, total: number) =>
      total === 0 ? 'Aucun collectif' : `${shown} collectif${shown > 1 ? 's' : ''} affiché${shown > 1 ? 's' : ''} sur ${total}`,
    loadMore: 'Afficher plus de collectifs',
    memberCount: (count: number) => `${count} membre${count > 1 ? 's' : ''}`,
    opennessLabel: 'Ouverture',
    sectorLabel: 'Secteur',
    membersLabel: 'Effectif',
    retry: 'Réessayer',
    yourRole: (role: string) => `Vous y êtes\u00a0: ${role.toLowerCase()}`,
    pending: 'Votre demande est en attente',
    join: 'Rejoindre',
    joinNamed: (name: string) => `Rejoindre le collectif ${name}`,
    joining: 'Adhésion…',
    joined: (name: string) => `Vous avez rejoint le collectif ${name}.`,
  },
  kinds: {
    COMMONS: 'Biens communs',
    SECTOR: 'Secteur d’activité',
    BUSINESS: 'Business',
  },
  horizons: {
    ONE_OFF: 'ponctuel',
    LONG_TERM: 'long terme',
  },
  statuses: {
    PROPOSED: 'Proposé',
    ACTIVE: 'Actif',
    DORMANT: 'En sommeil',
    CLOSED: 'Clos',
  },
  openness: {
    OPEN: 'Ouvert à tous',
    ON_REQUEST: 'Sur demande',
    CLOSED: 'Sur invitation',
  },
  sectors: {
    WRITING: 'Rédaction',
    COMMUNICATION: 'Communication',
    DESIGN: 'Design',
    DIGITAL: 'Numérique',
    HUMAN_RESOURCES: 'Ressources humaines',
    TRAINING: 'Formation',
    CONSULTING: 'Conseil',
    ECOMMERCE: 'E-commerce',
    CRAFTS: 'Artisanat',
    BUILDING: 'Bâtiment',
    WELLBEING: 'Bien-être',
    FOOD: 'Alimentation',
  },
  roles: {
    ANIMATOR: 'Animateur·rice',
    CO_ANIMATOR: 'Co-animateur·rice',
    MEMBER: 'Membre',
  },
  errors: {
    network: 'Le serveur est injoignable. Vérifiez votre connexion puis réessayez.',
    unexpected: 'Une erreur inattendue est survenue. Réessayez dans un instant.',
  },
} as const;

/** Looks up an enum label, falling back to the raw value if the API adds one the catalogue does not know yet. */
export function label<T extends Record<string, string>>(labels: T, value: string | null | undefined): string {
  if (value == null) return '';
  return Object.hasOwn(labels, value) ? (labels[value] as string) : value;
}
