import type { ContractKind, MemberKind, Sector } from '../generated/prisma/enums.js';
import { kebab } from './support.js';

/** One person of the demo cooperative, with dates as day offsets from today (negative: past). */
export interface DemoPerson {
  key: string;
  firstName: string;
  lastName: string;
  kind: MemberKind;
  contract: ContractKind;
  trade: string;
  sectors: Sector[];
  /** Days from today they joined the cooperative. */
  joined: number;
  /** Days from today they became an associate; absent for non-associates. */
  associate?: number;
  /** Days from today they left the cooperative; absent while active. */
  left?: number;
}

const person = (
  firstName: string,
  lastName: string,
  kind: MemberKind,
  contract: ContractKind,
  trade: string,
  sectors: Sector[],
  dates: { joined: number; associate?: number; left?: number },
): DemoPerson => ({
  key: kebab(`${firstName} ${lastName}`),
  firstName,
  lastName,
  kind,
  contract,
  trade,
  sectors,
  ...dates,
});

const associate = (firstName: string, lastName: string, trade: string, sectors: Sector[], joined: number, since: number) =>
  person(firstName, lastName, 'ENTREPRENEUR', 'CESA', trade, sectors, { joined, associate: since });
const employee = (firstName: string, lastName: string, trade: string, sectors: Sector[], joined: number) =>
  person(firstName, lastName, 'ENTREPRENEUR', 'CESA', trade, sectors, { joined });
const trial = (firstName: string, lastName: string, trade: string, sectors: Sector[], joined: number) =>
  person(firstName, lastName, 'ENTREPRENEUR', 'CAPE', trade, sectors, { joined });
const staff = (firstName: string, lastName: string, trade: string, joined: number) =>
  person(firstName, lastName, 'SUPPORT_STAFF', 'STAFF', trade, [], { joined });

/**
 * The people of the demo cooperative, a CAE of the Lyon area: associates, entrepreneurs-salariés
 * (CESA), entrepreneurs on a CAPE trial, the support staff, and two who have left.
 */
export const PEOPLE: readonly DemoPerson[] = [
  // Writing
  associate('Camille', 'Martin', 'Rédactrice web et conceptrice-rédactrice', ['WRITING', 'COMMUNICATION'], -2230, -1150),
  associate('Manon', 'Faure', 'Rédactrice technique et correctrice', ['WRITING'], -2600, -1800),
  associate('Marion', 'Robin', 'Biographe et écrivaine publique', ['WRITING'], -1900, -1000),
  employee('Léa', 'Fontaine', 'Rédactrice SEO', ['WRITING', 'DIGITAL'], -420),
  employee('Julie', 'Masson', 'Traductrice anglais-allemand', ['WRITING'], -700),
  trial('Pierre-Yves', 'Le Gall', 'Journaliste et rédacteur', ['WRITING'], -75),
  // Communication and design
  associate('Thomas', 'Girard', 'Graphiste et directeur artistique', ['DESIGN', 'COMMUNICATION'], -2400, -1500),
  associate('Aurélie', 'Blanc', 'Chargée de communication indépendante', ['COMMUNICATION'], -1400, -700),
  associate('Élodie', 'Chevalier', 'Designer UX/UI', ['DESIGN', 'DIGITAL'], -1300, -600),
  employee('Chloé', 'Bonnet', 'Community manager', ['COMMUNICATION'], -480),
  employee('Inès', 'Garnier', 'Photographe', ['COMMUNICATION', 'DESIGN'], -380),
  employee('Lucas', 'Fabre', 'Vidéaste et monteur', ['COMMUNICATION'], -600),
  trial('Baptiste', 'Colin', 'Motion designer', ['DESIGN', 'COMMUNICATION'], -50),
  // Digital and e-commerce
  associate('Julien', 'Moreau', 'Développeur web', ['DIGITAL'], -1800, -1100),
  associate('Romain', 'Morel', 'Consultant SEO et acquisition', ['DIGITAL', 'ECOMMERCE'], -1500, -900),
  employee('Hugo', 'Lambert', 'Développeur full-stack', ['DIGITAL'], -520),
  employee('Laure', 'Vincent', 'Consultante e-commerce', ['ECOMMERCE', 'DIGITAL'], -400),
  trial('Samuel', 'Nguyen', 'Développeur d’applications mobiles', ['DIGITAL'], -40),
  // Human resources, training and consulting
  associate('Nadia', 'Benali', 'Consultante en ressources humaines', ['HUMAN_RESOURCES', 'TRAINING'], -2000, -1300),
  associate('Antoine', 'Mercier', 'Formateur en management', ['TRAINING', 'CONSULTING'], -1700, -1000),
  associate('Anne-Sophie', 'Marchand', 'Formatrice bureautique', ['TRAINING'], -1600, -800),
  employee('Claire', 'Dubois', 'Coach professionnelle', ['HUMAN_RESOURCES', 'WELLBEING'], -560),
  employee('Mathieu', 'Roux', 'Consultant en organisation', ['CONSULTING'], -650),
  trial('Guillaume', 'Henry', 'Consultant RSE', ['CONSULTING'], -70),
  // Crafts, building and food
  associate('Émilie', 'Perrin', 'Céramiste', ['CRAFTS'], -1500, -800),
  associate('Yannick', 'Caron', 'Menuisier agenceur', ['BUILDING', 'CRAFTS'], -2100, -1400),
  associate('Amandine', 'Lucas', 'Cheffe à domicile', ['FOOD'], -1200, -500),
  employee('Sébastien', 'André', 'Ébéniste', ['CRAFTS', 'BUILDING'], -600),
  employee('Fatou', 'Diop', 'Traiteur', ['FOOD'], -300),
  employee('Pauline', 'Renaud', 'Créatrice textile', ['CRAFTS'], -450),
  trial('Mehdi', 'Belkacem', 'Électricien', ['BUILDING'], -30),
  // Well-being
  associate('Vincent', 'Gauthier', 'Praticien shiatsu', ['WELLBEING'], -2300, -1600),
  employee('Sarah', 'Cohen', 'Sophrologue', ['WELLBEING'], -650),
  trial('Jérôme', 'Meyer', 'Naturopathe', ['WELLBEING'], -20),
  // Support staff (équipe d'appui)
  staff('Sophie', 'Lefèvre', 'Chargée d’accompagnement', -2500),
  staff('Karim', 'Haddad', 'Chargé d’accompagnement', -1200),
  staff('Isabelle', 'Roche', 'Responsable administrative et financière', -2800),
  staff('Olivier', 'Brun', 'Chargé de développement', -900),
  staff('Nathalie', 'Arnaud', 'Comptable', -1600),
  // Left the cooperative
  person('Florian', 'Dupuis', 'ENTREPRENEUR', 'CESA', 'Développeur web', ['DIGITAL'], { joined: -1000, left: -150 }),
  person('Hélène', 'Picard', 'ENTREPRENEUR', 'CAPE', 'Illustratrice', ['DESIGN', 'COMMUNICATION'], { joined: -240, left: -60 }),
];
