// Builds the UI into web/dist: index.html plus content-hashed files under assets/, which
// furoshiki serves with long caching (server/web_assets.cpp). Nothing is inlined, so the
// Content-Security-Policy can stay `script-src 'self'; style-src 'self'` without exceptions.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    modulePreload: { polyfill: false },
  },
  server: {
    // `npm run dev` (optional, for working on the UI): API calls go to a running furoshiki.
    proxy: { '/api': { target: 'https://localhost:8443', secure: false } },
  },
});
