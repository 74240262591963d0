import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // One graphql instance: Vite would pick graphql's ESM build for our sources while Node loads its
    // CommonJS build for Apollo, graphql-shield and the other dependencies ("Cannot use
    // GraphQLSchema from another module or realm"). Node (tsx) resolves to the CommonJS build too.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', '.scratch/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
