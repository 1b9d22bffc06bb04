// jest: ts-jest transpiles each file on its own (isolatedModules; no type
// checking here: scripts/test.sh runs `tsc --noEmit` first). The global setup
// starts a Temporal dev server, recreates the test database and bundles the
// workflows once (test/support/global-setup.ts).
const { compilerOptions } = require('./tsconfig.json');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        // isolatedModules set in the compiler options (the ts-jest option of
        // that name is deprecated in ts-jest 29.4 and only logs a warning).
        tsconfig: { ...compilerOptions, isolatedModules: true },
      },
    ],
    // typebox (and two packages fastify's inject/swagger-ui pull in) ship only
    // as ES modules, which jest on Node 20 cannot require: transpile them too.
    '^.+\\.m?js$': ['ts-jest', { tsconfig: { ...compilerOptions, allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(typebox|content-disposition|cookie)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 2,
};
