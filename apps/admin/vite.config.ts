import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/**
 * The console is static files; in development (and `vite preview`) Vite forwards the API paths to the gateway, so
 * the browser talks to one origin and the gateway needs no CORS. Production serves `dist/` behind the same paths.
 */
const gateway = process.env.CUSTOS_GATEWAY_URL ?? 'http://127.0.0.1:4000';
const proxy = Object.fromEntries(
  ['/graphql', '/public/', '/dev/', '/config.json'].map((path) => [path, { target: gateway }]),
);

export default defineConfig({
  plugins: [react()],
  // `source`: the workspace packages (@custos/policy) from their TypeScript, so `npm run dev` needs no build first.
  resolve: { conditions: ['source', ...defaultClientConditions] },
  server: { host: '127.0.0.1', port: 5173, strictPort: true, proxy },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, proxy },
  build: {
    outDir: 'dist',
    sourcemap: true,
    // The libraries in chunks of their own, cached across releases of the console's own code; the largest is the
    // UI kit (react-admin and MUI), loaded by every page.
    rolldownOptions: {
      output: {
        codeSplitting: {
          // A group takes only the modules its test names (not their dependencies too), by priority: MUI stays in
          // the chunk every page loads even though the charts use it.
          includeDependenciesRecursively: false,
          groups: [
            {
              name: 'react',
              priority: 50,
              test: /node_modules[\\/](react|react-dom|scheduler|react-router|react-router-dom)[\\/]/,
            },
            // The dashboard's charts, with the copies of libraries installed under them: loaded with the dashboard
            // only (src/dashboard/index.tsx). Before MUI, whose test also matches the copies of @mui/* under them.
            { name: 'charts', priority: 45, test: /node_modules[\\/](@mui[\\/]x-|d3-)/ },
            { name: 'mui', priority: 40, test: /node_modules[\\/](@mui|@emotion)[\\/]/ },
            { name: 'react-admin', priority: 30, test: /node_modules[\\/](react-admin|ra-[a-z-]+)[\\/]/ },
            { name: 'vendor', priority: 10, test: /node_modules[\\/]/ },
          ],
        },
      },
    },
    chunkSizeWarningLimit: 700,
  },
});
