import type { HttpBindings } from '@hono/node-server';
import type { ClientIdentity } from '../store/store.js';

/** Per-request values set by middleware, typed for every route. */
export interface AppEnv {
  /**
   * The Node request behind the fetch-style one, when served by @hono/node-server (absent
   * for `app.request()` in unit tests).
   */
  Bindings: Partial<HttpBindings>;
  Variables: {
    /** The authenticated client (Bearer) — set by `requireClient`. */
    identity: ClientIdentity;
    /** The caller's IP, as the DoS defense resolved it (trusted proxy hops applied). */
    clientIp: string;
    /** A stable name of the matched route for metrics, e.g. "POST /push/:token". */
    routeName: string;
  };
}
