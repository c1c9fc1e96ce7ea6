// The collaborators routes and sessions are built from, assembled once in server.ts.

import type { Broker } from './broker/broker.js';
import type { ControlBus } from './broker/control-bus.js';
import type { IdTokenVerifier } from './client-agent/oidc/id-tokens.js';
import type { Nonces } from './client-agent/oidc/nonces.js';
import type { SessionRegistry } from './client-agent/session-registry.js';
import type { Config } from './config.js';
import type { DosDefense } from './dos/defense.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { EndpointCache } from './post-office/endpoint-cache.js';
import type { EndpointTokens } from './security/endpoint-tokens.js';
import type { PasswordHasher } from './security/password-hasher.js';
import type { SharedState } from './shared-state/memcached.js';
import type { Store } from './store/store.js';
import type { ProcessGroup } from './workers/group.js';

export interface Services {
  config: Config;
  store: Store;
  broker: Broker;
  log: Logger;
  metrics: Metrics;
  sessions: SessionRegistry;
  /** memcached, shared by every node; calls fail fast when it is down. */
  cache: SharedState;
  /**
   * The DoS defense. Routes read the caller's address from `c.get('clientIp')`;
   * the pairing relay reports extra requests / bad requests with `dos.countRequest(ip)` /
   * `dos.countBadRequest(ip)` and excuses an innocent 404 with `dos.excuse(c)`.
   */
  dos: DosDefense;
  /** Tells every process of every node to close sockets or forget cached endpoints. */
  control: ControlBus;
  /** Endpoint token → subscription, cached; changes are announced through `control`. */
  endpoints: EndpointCache;
  /** The other worker processes of this node (node-wide metrics, figures and DoS counts). */
  group: ProcessGroup;
  /** scrypt for sign-ups and sign-ins, each in a bounded lane of its own. */
  passwords: PasswordHasher;
  /** Endpoint tokens from subscription ids (they are stored only as hashes). */
  endpointTokens: EndpointTokens;
  /** Checks ID tokens of the OIDC_ISSUERS providers (docs/protocol.md §9). */
  idTokens: IdTokenVerifier;
  /** Sign-in nonces, issued and consumed once, in memcached. */
  nonces: Nonces;
}
