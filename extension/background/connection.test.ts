import { describe, expect, it } from 'vitest';
import type { PushClientState } from '../../shared/push-client.js';
import type { ConnectionState } from '../messaging/ui-api.js';
import type { SignedInAccount } from './account-store.js';
import { type ClientOptions, ConnectionManager } from './connection.js';
import { SerialQueue } from './serial.js';

const account = (token: string): SignedInAccount => ({
  serverUrl: 'http://push.test',
  username: 'alice',
  secretKey: 'k',
  deviceName: 'd',
  recoveryKeyConfirmed: true,
  clientId: 'c',
  clientToken: token,
});

function setup() {
  let wanted: SignedInAccount | null = null;
  const clients: Array<{ options: ClientOptions; started: boolean; stopped: boolean }> = [];
  const states: ConnectionState[] = [];
  let unauthorized = 0;
  const manager = new ConnectionManager({
    wanted: async () => wanted,
    createClient: (options) => {
      const client = { options, started: false, stopped: false };
      clients.push(client);
      return {
        start: () => {
          client.started = true;
        },
        stop: async () => {
          client.stopped = true;
        },
      };
    },
    onNotification: async () => {},
    onUnauthorized: async () => void unauthorized++,
    publishState: async (s) => void states.push(s),
    queue: new SerialQueue(),
  });
  return {
    manager,
    clients,
    states,
    setWanted: (a: SignedInAccount | null) => (wanted = a),
    unauthorized: () => unauthorized,
  };
}

describe('ConnectionManager', () => {
  it('runs one client while wanted, however often it is woken', async () => {
    const { manager, clients, setWanted } = setup();
    await manager.sync();
    expect(clients).toHaveLength(0);
    setWanted(account('t1'));
    await Promise.all([manager.sync(), manager.sync(), manager.sync()]);
    expect(clients).toHaveLength(1);
    expect(clients[0]).toMatchObject({
      started: true,
      stopped: false,
      options: { clientToken: 't1' },
    });
  });

  it('replaces the client when the token changes and stops it when no longer wanted', async () => {
    const { manager, clients, states, setWanted } = setup();
    setWanted(account('t1'));
    await manager.sync();
    setWanted(account('t2'));
    await manager.sync();
    expect(clients.map((c) => c.stopped)).toEqual([true, false]);
    setWanted(null);
    await manager.sync();
    expect(clients[1]?.stopped).toBe(true);
    expect(states.at(-1)).toBe('off');
  });

  it('reports the state of the current client only, in the words the popup uses', async () => {
    const { manager, clients, states, setWanted } = setup();
    setWanted(account('t1'));
    await manager.sync();
    setWanted(account('t2'));
    await manager.sync();
    const report = (i: number, s: PushClientState) => clients[i]?.options.onStateChange(s);
    report(0, 'connected');
    report(1, 'backoff');
    report(1, 'connected');
    expect(states).toEqual(['offline', 'connected']);
  });

  it('hands a refused token on once, and reconnects after a new sign-in', async () => {
    const { manager, clients, setWanted, unauthorized } = setup();
    setWanted(account('t1'));
    await manager.sync();
    clients[0]?.options.onUnauthorized();
    expect(unauthorized()).toBe(1);
    expect(manager.running).toBe(false);
    setWanted(account('t2'));
    await manager.sync();
    expect(clients).toHaveLength(2);
  });
});
