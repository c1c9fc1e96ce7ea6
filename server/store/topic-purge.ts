// Topic records only matter while a message they name can still be delivered; no message
// outlives the 30-day TTL cap, so older records are dropped once an hour instead of
// piling up for as long as the subscription lives.
import { MAX_TTL_SECONDS } from '../../shared/protocol.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from './store.js';

const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const MARGIN_MS = 60 * 60 * 1000;

export function topicCutoff(now: number): string {
  return new Date(now - MAX_TTL_SECONDS * 1000 - MARGIN_MS).toISOString();
}

export function startTopicPurge(store: Store, log: Logger): () => void {
  const timer = setInterval(() => {
    store.purgeTopicsBefore(topicCutoff(Date.now())).then(
      (purged) => {
        if (purged > 0) log.info({ event: 'topics.purged', purged }, 'old topic records purged');
      },
      (err: unknown) => log.warn({ event: 'topics.purge_failed', err }),
    );
  }, PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
