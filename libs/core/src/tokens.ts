/** Injection tokens shared by the apps and the libraries. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const SECRET_BOX = Symbol('SECRET_BOX');
