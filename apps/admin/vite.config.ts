import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The console is static files; in development (and `vite preview`) Vite forwards the API paths to the gateway, so
 * the browser talks to one origin and the gateway needs no CORS. Production serves `dist/` behind the same paths.
 */
const gateway = process.env.CUSTOS_GATEWAY_URL ?? 'http://127.0.0.1:4000';
const proxy = Object.fromEntries(
  ['/graphql', '/public/', '/dev/'].map((path) => [path, { target: gateway }]),
);

export default defineConfig({
  plugins: [react()],
  // `source`: the workspace packages (@custos/policy) from their TypeScript, so `npm run dev` needs no build first.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy },
  build: { outDir: 'dist', sourcemap: true },
});
