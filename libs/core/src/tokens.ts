/** Injection tokens shared by the apps and the libraries. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const SECRET_BOX = Symbol('SECRET_BOX');
/** boolean: whether this process runs background jobs and fires schedules (see AppConfigModule). */
export const RUNS_JOBS = Symbol('RUNS_JOBS');
