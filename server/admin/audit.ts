// Every admin action leaves three traces: a row in the audit log (shown on the page, full
// detail), an `admin.action` log line (ids shortened, IPs truncated) and a metric.
import { ipForLog } from '../dos/ip.js';
import { shortId } from '../observability/logger.js';
import type { Services } from '../services.js';
import type { AuditEntry } from '../store/store.js';

export type AdminAction =
  | 'account.disable'
  | 'account.enable'
  | 'account.delete'
  | 'account.quotas'
  | 'client.revoke'
  | 'ip.box'
  | 'ip.unbox'
  | 'settings.update'
  | 'settings.reset';

export type AuditTarget = { kind: 'ip'; ip: string } | { kind: 'id'; id: string } | null;

export class AuditLog {
  constructor(private readonly services: Pick<Services, 'store' | 'log' | 'metrics'>) {}

  async record(
    action: AdminAction,
    target: AuditTarget,
    details: Record<string, unknown> | null,
    actor: string,
  ): Promise<AuditEntry> {
    const { store, log, metrics } = this.services;
    const entry = await store.addAuditEntry({
      action,
      target: target === null ? null : target.kind === 'ip' ? target.ip : target.id,
      details: details === null ? null : JSON.stringify(details),
      actor,
    });
    metrics.adminActions.inc({ action });
    log.info(
      {
        event: 'admin.action',
        action,
        target:
          target === null ? null : target.kind === 'ip' ? ipForLog(target.ip) : shortId(target.id),
        actor: ipForLog(actor),
      },
      `admin: ${action}`,
    );
    return entry;
  }

  list(limit: number): Promise<AuditEntry[]> {
    return this.services.store.listAuditEntries(limit);
  }
}
