import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Stops the binaries server.sh started and drops the e2e database. */
export default function globalTeardown() {
  const file = join(import.meta.dirname, '.state', 'server.env');
  if (!existsSync(file)) return;
  const env = Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;

  for (const key of ['E2E_WORKER_PID', 'E2E_SCHEDULER_PID', 'E2E_API_PID']) {
    const pid = Number(env[key]);
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  if (env.E2E_DB && env.E2E_ADMIN_URL && /^sbtest_e2e_[0-9a-f]+$/.test(env.E2E_DB)) {
    try {
      execFileSync('psql', [env.E2E_ADMIN_URL, '-qc', `DROP DATABASE IF EXISTS "${env.E2E_DB}" WITH (FORCE)`], { stdio: 'inherit' });
    } catch (err) {
      console.error(`e2e teardown: could not drop ${env.E2E_DB}:`, err);
    }
  }
  if (env.E2E_DATA_DIR?.includes('sbtest-e2e-')) rmSync(env.E2E_DATA_DIR, { recursive: true, force: true });
  rmSync(file, { force: true });
}
