import { describe, expect, it } from 'vitest';
import { heartbeat, recordingProbes } from './heartbeat.js';

describe('heartbeat', () => {
  it('memcached down alone is still 200; RabbitMQ or the database down is 503', async () => {
    const up = async () => true;
    const down = async () => false;
    expect(await heartbeat({ rabbitmq: up, memcached: down, database: up })).toEqual({
      status: 200,
      body: { status: 'ok', rabbitmq: 'ok', memcached: 'down', database: 'ok' },
    });
    const failing = async (): Promise<boolean> => {
      throw new Error('no database');
    };
    expect(await heartbeat({ rabbitmq: up, memcached: up, database: failing })).toEqual({
      status: 503,
      body: { status: 'degraded', rabbitmq: 'ok', memcached: 'ok', database: 'down' },
    });
  });

  it('recordingProbes reports every outcome, failures included', async () => {
    const seen: Array<[string, boolean]> = [];
    const probes = recordingProbes(
      {
        rabbitmq: async () => true,
        memcached: async () => false,
        database: async () => {
          throw new Error('down');
        },
      },
      (service, up) => seen.push([service, up]),
    );
    await heartbeat(probes);
    expect(seen.sort()).toEqual([
      ['database', false],
      ['memcached', false],
      ['rabbitmq', true],
    ]);
  });
});
