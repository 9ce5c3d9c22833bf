/** The HTTP transport family: `send` at the bottom, one wrapper per concern, `createTransport` to put them together. */
export * from './auth.js';
export * from './error-body.js';
export * from './exchange.js';
export * from './reconnect.js';
export * from './redirect.js';
export * from './retry.js';
export * from './round-tripper.js';
export * from './send.js';
export * from './transport.js';
export * from './user-agent.js';
