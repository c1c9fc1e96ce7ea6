// The JSON the admin API answers, as types: the routes promise them (`satisfies`) and the
// page's script (front-end/admin.ts) reads them, so the two cannot drift apart unnoticed.
// Type-only: nothing here reaches the browser bundle but the shapes.
import type { Talker } from '../dos/ip-counters.js';
import type { BoxReason } from '../dos/penalty-box.js';
import type { SettingsView } from '../dos/settings.js';
import type { AccountSummary, AuditEntry } from '../store/store.js';
import type { AccountDetail } from './accounts.js';
import type { Figures } from './figures.js';

export type { AccountDetail, AccountSummary, AuditEntry, Figures, SettingsView };

/** GET /admin/api/penalty-box */
export interface PenaltyBoxView {
  observeOnly: boolean;
  memcachedSync: boolean;
  entries: Array<{
    ip: string;
    reason: BoxReason;
    boxedAt: string;
    until: string;
    secondsLeft: number;
  }>;
  topTalkers: Talker[];
}

/** POST /admin/api/penalty-box */
export interface BoxedAddress {
  ip: string;
  reason: BoxReason;
  until: string;
}

/** GET /admin/api/accounts */
export interface AccountList {
  accounts: AccountSummary[];
}

/** GET /admin/api/audit */
export interface AuditList {
  entries: AuditEntry[];
}
