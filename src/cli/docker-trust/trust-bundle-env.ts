/**
 * The environment variable that names a trust bundle (`--trust-bundle FILE`'s default): a module
 * of its own, so that naming it loads nothing.
 */
export const TRUST_BUNDLE_ENV = 'DCT_TRUST_BUNDLE';
