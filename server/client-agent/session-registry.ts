// The sessions identified on this server, by client id: one per client, so a reconnect
// replaces a half-dead socket instead of splitting the queue between two consumers.
import { CloseCode } from '../../shared/protocol.js';
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly byClient = new Map<string, Session>();

  claim(clientId: string, session: Session): void {
    const previous = this.byClient.get(clientId);
    this.byClient.set(clientId, session);
    if (previous && previous !== session) previous.replace();
  }

  release(clientId: string, session: Session): void {
    if (this.byClient.get(clientId) === session) this.byClient.delete(clientId);
  }

  has(clientId: string): boolean {
    return this.byClient.has(clientId);
  }

  get size(): number {
    return this.byClient.size;
  }

  /** The client was deleted or its account disabled: its socket closes at once. */
  revoke(clientId: string): void {
    this.byClient.get(clientId)?.close(CloseCode.Unauthorized, 'client deleted');
  }

  closeAll(code: CloseCode, reason: string): void {
    for (const session of [...this.byClient.values()]) session.close(code, reason);
  }
}
