import { InitialSchema1795600000000 } from './1795600000000-initial-schema.js';

/** Every migration, oldest first. Listed, not globbed: ESM has no require-time directory scan. */
export const MIGRATIONS = [InitialSchema1795600000000];
