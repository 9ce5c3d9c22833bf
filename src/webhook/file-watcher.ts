/** Moved to `src/adapters/fs-watch/content-watcher.ts` (the server's pull gate watches its policy file too). */
export { watchContent, type ContentWatcher, type WatchOptions } from '../adapters/fs-watch/content-watcher.js';
