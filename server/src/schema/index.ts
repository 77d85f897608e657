import { builder } from '../builder.js';
import './errors.js';
import './enums.js';
import './auth.js';
import './members.js';
import './collectives.js';
import './memberships.js';

export const schema = builder.toSchema({ sortSchema: false });
