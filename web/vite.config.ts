// The console's build: React + Ant Design, served by the API at /app
// (api: @fastify/static over web/dist). Pages are split into their own
// chunks (React.lazy); antd, echarts and react each get a vendor chunk so a
// page change does not re-download them.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('node_modules')) return undefined;
          if (/node_modules\/(echarts|zrender)\//.test(id)) return 'echarts';
          if (/node_modules\/(react|react-dom|scheduler|react-router|react-router-dom)\//.test(id)) return 'react';
          if (/node_modules\/(antd|@ant-design|rc-[^/]+|@rc-component|dayjs)\//.test(id)) return 'antd';
          return undefined;
        },
      },
    },
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development: the API on :3000 answers everything but /app.
    proxy: Object.fromEntries(
      ['/auth', '/work', '/orders', '/customers', '/products', '/risks', '/kpis', '/analysis', '/audit', '/users', '/me', '/console', '/production-orders', '/tokens'].map((p) => [p, 'http://127.0.0.1:3000']),
    ),
  },
});
