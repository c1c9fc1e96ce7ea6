import { defineConfig } from 'vitest/config';

// Three projects so each kind of test gets the timeouts and parallelism it needs:
// unit tests are pure, integration tests talk to the real RabbitMQ/memcached/database,
// e2e tests drive real browsers and must not compete for the two cores. Vitest runs projects
// in groups (sequence.groupOrder), one group after another: unit and integration first, then
// the e2e files one at a time, then the idle-connection test. That test only reads what
// e2e/idle.global-setup.ts started measuring when the run began: its five idle minutes pass
// while the other tests run instead of after them.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'shared/**/*.test.ts',
            'server/**/*.test.ts',
            'extension/**/*.test.ts',
            'examples/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude: ['**/node_modules/**', 'e2e/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          exclude: ['e2e/idle.test.ts', '**/node_modules/**'],
          testTimeout: 240_000,
          hookTimeout: 240_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'e2e-idle',
          include: ['e2e/idle.test.ts'],
          globalSetup: ['e2e/idle.global-setup.ts'],
          testTimeout: 15 * 60_000,
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
