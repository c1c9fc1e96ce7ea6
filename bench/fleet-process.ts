// One load-generator process holding a slice of the benchmark's devices: a plain `ws`
// WebSocket each, bound to its own loopback address (each source address has only ~28k
// ports towards one server port), hello first, every notification acked at once, pings
// answered. Driven by bench/fleets.ts over IPC. A device refused with 1013 or cut off
// comes back after a jittered, growing backoff, as the add-on does; one still not
// connected after the deadline counts as failed.
import WebSocket from 'ws';
import type { FleetCommand, FleetDevice, FleetReport } from './fleets.js';

interface Device extends FleetDevice {
  ws: WebSocket | null;
  connected: boolean;
  attempt: number;
}

let serverUrl = '';
let localAddress = '';
let devices: Device[] = [];
let tracking = false;
let arrivals: Array<[id: string, at: number]> = [];
let retries = 0;
let closing = false;
/** Unexpected closes of identified sockets (the server dropped a device). */
let drops = 0;

const epochMs = () => performance.timeOrigin + performance.now();
const send = (message: FleetReport) => process.send?.(message);

function backoff(attempt: number): number {
  const ceiling = Math.min(10_000, 500 * 2 ** attempt);
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/** Opens one device's socket; resolves true once its hello is answered, false on refusal. */
function open(device: Device): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/v1/connect`, {
      perMessageDeflate: false,
      localAddress,
    });
    device.ws = ws;
    let settled = false;
    const settle = (ok: boolean) => {
      if (settled) return;
      settled = true;
      resolve(ok);
    };
    ws.on('open', () => ws.send(`{"type":"hello","clientToken":"${device.clientToken}"}`));
    ws.on('message', (raw: WebSocket.RawData) => {
      const text = raw.toString();
      // Cheap checks: parsing every frame fully would bill the load generator's CPU.
      if (text.startsWith('{"type":"notification"')) {
        const id = /"id":"([^"]+)"/.exec(text)?.[1];
        if (!id) return;
        ws.send(`{"type":"ack","id":"${id}"}`);
        if (tracking) arrivals.push([id, epochMs()]);
      } else if (text === '{"type":"ping"}') {
        ws.send('{"type":"pong"}');
      } else if (text.startsWith('{"type":"hello"')) {
        device.connected = true;
        settle(true);
      }
    });
    ws.on('close', () => {
      if (device.connected && !closing && device.ws === ws) drops++;
      device.connected = false;
      settle(false);
    });
    ws.on('error', () => settle(false)); // followed by 'close'
  });
}

async function connectAll(deadlineMs: number): Promise<{ failed: number; seconds: number }> {
  const started = performance.now();
  const deadline = started + deadlineMs;
  const one = async (device: Device) => {
    device.attempt = 0;
    while (!(await open(device))) {
      if (performance.now() > deadline) return;
      retries++;
      await new Promise((r) => setTimeout(r, backoff(device.attempt++)));
    }
  };
  await Promise.all(devices.map(one));
  return {
    failed: devices.filter((d) => !d.connected).length,
    seconds: (performance.now() - started) / 1000,
  };
}

async function closeAll(): Promise<void> {
  closing = true;
  await Promise.all(
    devices.map(
      (d) =>
        new Promise<void>((resolve) => {
          const ws = d.ws;
          if (!ws || ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close(1000);
        }),
    ),
  );
  closing = false;
}

process.on('message', async (command: FleetCommand) => {
  switch (command.type) {
    case 'init':
      serverUrl = command.serverUrl;
      localAddress = command.localAddress;
      devices = command.devices.map((d) => ({ ...d, ws: null, connected: false, attempt: 0 }));
      send({ type: 'ready' });
      return;
    case 'connect': {
      retries = 0;
      const outcome = await connectAll(command.deadlineMs);
      send({ type: 'connected', ...outcome, retries });
      return;
    }
    case 'herd': {
      // Every device drops and comes straight back, all at once: the worst case of a
      // network blip or a server restart.
      await closeAll();
      retries = 0;
      const outcome = await connectAll(command.deadlineMs);
      send({ type: 'connected', ...outcome, retries });
      return;
    }
    case 'track':
      tracking = command.on;
      return;
    case 'flush':
      send({ type: 'arrivals', arrivals, drops });
      arrivals = [];
      return;
    case 'close':
      await closeAll();
      send({ type: 'closed' });
      process.exit(0);
  }
});
