// Builds the dashboard into dist/ui, served by the gateway at /ui (src/server/ui.ts).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  // `npm run dev:ui` proxies the API to a running `costwise serve`.
  server: { proxy: { '/api': 'http://127.0.0.1:4000' } },
});
