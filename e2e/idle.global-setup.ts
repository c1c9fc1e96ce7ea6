// Starts the idle measurement (e2e/support/idle-run.ts) as soon as a test run that includes
// e2e/idle.test.ts begins. Vitest runs the serial e2e files in a group of their own, and
// groups one after another, so a test that sat idle for five minutes would add those minutes
// to the run; measured in the background instead, the five minutes pass while the other
// tests run (idle browsers need next to no CPU), and the test, scheduled last, reads the
// result. Its log goes to test-results/idle-run.log.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ROOT } from './support/extension-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where e2e/support/idle-run.ts writes its outcome. */
    idleRunResult: string;
  }
}

export default function setup(project: TestProject): () => Promise<void> {
  const result = join(tmpdir(), `push-idle-run-${process.pid}-${Date.now()}.json`);
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  const log = openSync(join(ROOT, 'test-results/idle-run.log'), 'w');
  // Its own process group, so that stopping it stops the browsers it started too.
  const child: ChildProcess = spawn('npx', ['tsx', 'e2e/support/idle-run.ts', result], {
    cwd: ROOT,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  project.provide('idleRunResult', result);
  return async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      // The run ended before the measurement did (a failure, or an interrupted run).
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    rmSync(result, { force: true });
  };
}
