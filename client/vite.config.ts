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
    rolldownOptions: {
      output: {
        codeSplitting: {
          // The editor's libraries in chunks of their own (ProseMirror and Tiptap; Yjs): cached across releases of
          // the app, shared by the pages that load them, and neither over Vite's 500 kB warning.
          groups: [
            { name: 'yjs', test: /node_modules[\\/](yjs|y-[a-z]+|lib0)[\\/]/ },
            { name: 'prosemirror', test: /node_modules[\\/](@tiptap[\\/]|prosemirror-)/ },
          ],
        },
      },
    },
  },
});
