// Builds the dashboard (issue 15) into dist/ui, served by `dct server` under /ui/ (src/server/dashboard/ui-assets.ts).
// Everything is bundled (no CDN); nothing inline, so the server's Content-Security-Policy needs no 'unsafe-inline'.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  publicDir: false,
  logLevel: 'warn',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: resolve(here, '..', 'dist', 'ui'),
    emptyOutDir: true,
    target: 'es2022',
    // no data: URIs for fonts or images and no inline preload polyfill: every asset is a file under 'self'
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 200,
  },
});
