// `npm run bench:queue-types`: the QUEUE_TYPE measurement of bench/queue-types.ts alone.
// BENCH_DEVICES and BENCH_MESSAGES change its size.
import { DEFAULT_QUEUE_TYPE_OPTIONS, formatQueueTypes, measureQueueTypes } from './queue-types.js';

const figures = await measureQueueTypes({
  ...DEFAULT_QUEUE_TYPE_OPTIONS,
  devices: Number(process.env.BENCH_DEVICES ?? DEFAULT_QUEUE_TYPE_OPTIONS.devices),
  messages: Number(process.env.BENCH_MESSAGES ?? DEFAULT_QUEUE_TYPE_OPTIONS.messages),
});
console.log(`\n${formatQueueTypes(figures)}`);
