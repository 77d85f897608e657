import { builder } from '../builder.js';
import { documentGeneratedTypes } from './documentation.js';
import './errors.js';
import './enums.js';
import './auth.js';
import './members.js';
import './collectives.js';
import './memberships.js';
import './opportunities.js';
import './deals.js';
import './tenders.js';
import './stands.js';
import './brands.js';
import './products.js';
import './sector-tools.js';
import './activity.js';
import './dashboard.js';

export const schema = documentGeneratedTypes(builder.toSchema({ sortSchema: false }));
