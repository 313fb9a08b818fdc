import tailwindcss from '@tailwindcss/vite';
import { defineConfig } from 'vite';

const controller = process.env.DEPLOYBOT_DEV_CONTROLLER ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [tailwindcss()],
  // Vite's built-in oxc transform compiles JSX with React's automatic runtime; no React plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, manifest: true },
  server: {
    proxy: {
      '/v1': controller,
      '/health': controller,
      '/socket.io': { target: controller, ws: true },
    },
  },
});
