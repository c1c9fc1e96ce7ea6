// Run at every start, before the server listens: subscriptions made before endpoint tokens
// were hashed (schema migration 4 moved their token to `legacy_token`) get their token
// replaced by its hash in the database and in RabbitMQ, so their endpoints keep working and
// no token is left in clear. For each one, in this order:
//   1. RabbitMQ: bind the user's exchange under the token's hash, then unbind the clear token
//      (broker.rebindSubscription) — routed all along, whichever key the POST Office uses;
//   2. the database: the hash, and the token sealed under the endpoint key (so that
//      GET /v1/subscriptions can still show the endpoint), instead of the clear token.
// Every step is idempotent, so a start that stops halfway (RabbitMQ gone, a crash) is simply
// finished by the next one, and several nodes starting at once do no harm. A deleted
// subscription only needs its hash (its endpoint answers 410 by it) and its old binding gone.
// Nothing to do, the usual case, costs one query.
import type { Broker } from '../../broker/broker.js';
import { type Logger, shortId } from '../../observability/logger.js';
import type { EndpointTokens } from '../../security/endpoint-tokens.js';
import { hashToken } from '../../security/tokens.js';
import type { LegacyToken, Store } from '../../store/store.js';

const BATCH = 500;
/** Rebinds in flight at once: each is a few round trips on a short-lived channel. */
const CONCURRENCY = 16;

export interface EndpointTokenMigrationDeps {
  store: Pick<Store, 'listLegacyTokens' | 'replaceLegacyToken' | 'compact'>;
  broker: Pick<Broker, 'rebindSubscription' | 'unbindSubscription'>;
  endpointTokens: Pick<EndpointTokens, 'seal'>;
  log: Logger;
}

async function migrateOne(deps: EndpointTokenMigrationDeps, legacy: LegacyToken): Promise<void> {
  const { store, broker, endpointTokens, log } = deps;
  const tokenHash = hashToken(legacy.token);
  if (legacy.deletedAt === null) {
    await broker.rebindSubscription(legacy.userId, legacy.token, tokenHash);
  } else {
    // Unbound when it was deleted, unless that failed; either way nothing routes to it now.
    await broker.unbindSubscription(legacy.userId, legacy.token).catch((err: unknown) => {
      log.debug({ event: 'subscription.unbind_failed', err });
    });
  }
  await store.replaceLegacyToken(legacy.subscriptionId, {
    tokenHash,
    sealed: legacy.deletedAt === null ? endpointTokens.seal(legacy.token) : null,
  });
  log.debug({ event: 'subscription.token_hashed', subscriptionId: shortId(legacy.subscriptionId) });
}

/** Returns how many subscriptions it moved to hashed tokens. */
export async function hashLegacyEndpointTokens(deps: EndpointTokenMigrationDeps): Promise<number> {
  let moved = 0;
  for (;;) {
    const batch = await deps.store.listLegacyTokens(BATCH);
    if (batch.length === 0) break;
    for (let i = 0; i < batch.length; i += CONCURRENCY) {
      await Promise.all(batch.slice(i, i + CONCURRENCY).map((legacy) => migrateOne(deps, legacy)));
    }
    moved += batch.length;
  }
  if (moved > 0) {
    // SQLite keeps deleted content in free pages until the file is rewritten. Not worth a
    // failed start: another process of the node may be rewriting it at this very moment.
    await deps.store.compact().catch((err: unknown) => {
      deps.log.warn(
        { event: 'database.compact_failed', err },
        'could not rewrite the database file; run VACUUM on it to clear old endpoint tokens',
      );
    });
    deps.log.info(
      { event: 'endpoints.tokens_hashed', subscriptions: moved },
      'endpoint tokens of older subscriptions are now stored as hashes only',
    );
  }
  return moved;
}
