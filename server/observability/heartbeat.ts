// GET /__heartbeat__ (docs/protocol.md §8). memcached down alone still answers 200: the server
// keeps serving with its local penalty box.
import type { Heartbeat } from '../../shared/protocol.js';

export interface HealthProbes {
  rabbitmq(): Promise<boolean>;
  memcached(): Promise<boolean>;
  database(): Promise<boolean>;
}

const PROBE_TIMEOUT_MS = 2000;

export type ServiceHealth = 'ok' | 'down';
export type HealthReport = Record<keyof HealthProbes, ServiceHealth>;

async function probe(check: () => Promise<boolean>): Promise<ServiceHealth> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
  });
  try {
    // A check that throws says the service is down, which is all a heartbeat reports.
    return (await Promise.race([check().catch(() => false), timeout])) ? 'ok' : 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** Runs every probe at once, each bounded by a timeout, so one hung service cannot stall the answer. */
export async function checkHealth(probes: HealthProbes): Promise<HealthReport> {
  const [rabbitmq, memcached, database] = await Promise.all([
    probe(probes.rabbitmq),
    probe(probes.memcached),
    probe(probes.database),
  ]);
  return { rabbitmq, memcached, database };
}

export async function heartbeat(
  probes: HealthProbes,
): Promise<{ status: 200 | 503; body: Heartbeat }> {
  const { rabbitmq, memcached, database } = await checkHealth(probes);
  const degraded = rabbitmq === 'down' || database === 'down';
  return {
    status: degraded ? 503 : 200,
    body: { status: degraded ? 'degraded' : 'ok', rabbitmq, memcached, database },
  };
}

/** The same probes, reporting each outcome (e.g. to `push_backing_service_up`). */
export function recordingProbes(
  probes: HealthProbes,
  record: (service: keyof HealthProbes, up: boolean) => void,
): HealthProbes {
  const wrap = (service: keyof HealthProbes) => async (): Promise<boolean> => {
    try {
      const up = await probes[service]();
      record(service, up);
      return up;
    } catch (err) {
      record(service, false);
      throw err;
    }
  };
  return { rabbitmq: wrap('rabbitmq'), memcached: wrap('memcached'), database: wrap('database') };
}
