// Where a push's CPU goes, by stage, from a server CPU profile taken during `npm run bench`:
//
//   BENCH_WORKERS=1 BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" \
//     npm run bench -- --quick
//   npx tsx bench/profile-stages.ts /tmp/prof/<largest>.cpuprofile --from 40 --to 50 \
//     --deliveries 5500
//
// Each sample is given to the stage of the innermost frame that belongs to a known part.
// Native frames and Node's shared plumbing (sockets, streams, events, timers) are passed
// over, so a socket write counts for whoever wrote (node:http's response, ws's frame,
// amqplib's publish); a sample with nothing but plumbing on its stack is Node's own. The time
// of the window [from, to] (seconds from the profile's start; pick the busy stretch the
// timeline shows) is divided by the deliveries made in it. docs/performance.md lists the
// result. Only the stack shapes are read, so the figures are shares of the process's busy
// time, turned into µs with the bench's own count of deliveries.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Stages in the order a push meets them; the first whose test matches a frame's URL wins. */
const STAGES: Array<[stage: string, test: RegExp]> = [
  [
    'HTTP: node:http parsing and responses, their socket I/O',
    /^node:(_http|http)|node:internal\/http/,
  ],
  ['POST Office checks (token, headers, VAPID, body)', /server\/(post-office|http)\//],
  ['DoS guard', /server\/dos\//],
  ['envelope (encode, decode)', /server\/broker\/message\.ts/],
  ['socket writes, one per turn (WebSocket frames and AMQP)', /server\/io\//],
  ['amqplib: publish, confirm, consume, ack', /node_modules\/amqplib\//],
  ['broker glue (publisher, consumer pool)', /server\/broker\//],
  ['WebSocket frames (ws)', /node_modules\/ws\//],
  ['session (deliver, ack, framing)', /server\/client-agent\//],
  ['metrics (prom-client)', /node_modules\/prom-client\//],
  ['logging (pino)', /node_modules\/pino/],
  ['other server code', /server\//],
  ['other libraries', /node_modules\//],
];

function stageOf(url: string): string | null {
  for (const [stage, test] of STAGES) if (test.test(url)) return stage;
  return null;
}

function main(): void {
  const [file, ...rest] = process.argv.slice(2);
  if (!file)
    throw new Error(
      'usage: profile-stages.ts <file.cpuprofile> [--from s] [--to s] [--deliveries n]',
    );
  const option = (name: string, fallback: number) => {
    const at = rest.indexOf(name);
    return at >= 0 ? Number(rest[at + 1]) : fallback;
  };
  const from = option('--from', 0) * 1e6;
  const to = option('--to', Number.POSITIVE_INFINITY) * 1e6;
  const deliveries = option('--deliveries', 0);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const stageOfNode = new Map<number, string>();
  const classify = (id: number): string => {
    const known = stageOfNode.get(id);
    if (known) return known;
    const name = byId.get(id)?.callFrame.functionName;
    let stage: string;
    if (name === '(garbage collector)') stage = 'garbage collection';
    else if (name === '(program)') stage = 'runtime (program)';
    else {
      stage = 'Node plumbing alone (event loop, timers, socket reads)';
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const found = stageOf(byId.get(cur)?.callFrame.url ?? '');
        if (found) {
          stage = found;
          break;
        }
      }
    }
    stageOfNode.set(id, stage);
    return stage;
  };

  const micros = new Map<string, number>();
  let t = 0;
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < from || t > to) continue;
    const id = profile.samples[i]!;
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    const stage = classify(id);
    micros.set(stage, (micros.get(stage) ?? 0) + delta);
    busy += delta;
  }
  const rows = [...micros].sort((a, b) => b[1] - a[1]);
  const per = (us: number) => (deliveries > 0 ? `${(us / deliveries).toFixed(1)} µs` : '');
  process.stdout.write(
    `busy ${(busy / 1e6).toFixed(2)} s${deliveries ? `, ${per(busy)} per delivery` : ''}\n`,
  );
  process.stdout.write('| stage | share | per delivery |\n| --- | --- | --- |\n');
  for (const [stage, us] of rows) {
    process.stdout.write(`| ${stage} | ${((100 * us) / busy).toFixed(1)} % | ${per(us)} |\n`);
  }
}

main();
