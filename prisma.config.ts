// Prisma CLI configuration: the Wasm ("js") engine with the pg driver adapter,
// so `prisma generate` and `prisma migrate deploy` run without downloading a
// native engine (see ENVIRONMENT.md).
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

const connectionString = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/salesorder';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => new PrismaPg({ connectionString }),
});
