import { builder } from '../builder.js';
import { documentGeneratedTypes } from './documentation.js';
import './errors.js';
import './enums.js';
import './auth.js';
import './members.js';
import './collectives.js';
import './memberships.js';

export const schema = documentGeneratedTypes(builder.toSchema({ sortSchema: false }));
