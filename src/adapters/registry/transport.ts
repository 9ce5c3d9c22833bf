// The transport family moved to src/adapters/http/transport/; this name stays for the registry client.
export * from '../http/transport/index.js';
