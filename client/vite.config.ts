import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const apiOrigin = `http://127.0.0.1:${process.env.PORT ?? 4000}`;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  server: {
    proxy: {
      // HTTP queries and mutations, plus the graphql-ws WebSocket upgrade for subscriptions.
      '/graphql': { target: apiOrigin, ws: true, changeOrigin: true },
      // Tender response downloads (a file with its name in Content-Disposition).
      '/exports': { target: apiOrigin, changeOrigin: true },
    },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
  },
});
