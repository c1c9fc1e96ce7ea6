// navigator.push (docs/protocol.md §7): the W3C PushManager's subscribe/getSubscription, plus
// unsubscribe and `push` events on the page itself, since there is no service worker here.
import { decodeBase64Url } from '../../shared/crypto/base64url.js';
import type { PagePermissionState, PageSubscription } from '../messaging/page-protocol.js';
import { normalizeApplicationServerKey } from './application-server-key.js';
import type { Transport } from './bridge-client.js';

function copyOf(bytes: Uint8Array): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

export class ExtensionPushSubscription {
  readonly endpoint: string;
  readonly expirationTime: null = null;
  readonly options: {
    readonly applicationServerKey: ArrayBuffer | null;
    readonly userVisibleOnly: boolean;
  };
  readonly #keys: { p256dh: string; auth: string };
  readonly #unsubscribe: (endpoint: string) => Promise<boolean>;

  constructor(data: PageSubscription, unsubscribe: (endpoint: string) => Promise<boolean>) {
    this.endpoint = data.endpoint;
    this.#keys = { ...data.keys };
    this.options = Object.freeze({
      applicationServerKey: data.applicationServerKey
        ? copyOf(decodeBase64Url(data.applicationServerKey))
        : null,
      userVisibleOnly: true,
    });
    this.#unsubscribe = unsubscribe;
  }

  /** A fresh copy each time, as in browsers: the caller may change it. */
  getKey(name: 'p256dh' | 'auth'): ArrayBuffer | null {
    if (name !== 'p256dh' && name !== 'auth') return null;
    return copyOf(decodeBase64Url(this.#keys[name]));
  }

  /** The W3C PushSubscriptionJSON any Web Push library can send to (docs/protocol.md §5). */
  toJSON(): { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } } {
    return { endpoint: this.endpoint, expirationTime: null, keys: { ...this.#keys } };
  }

  unsubscribe(): Promise<boolean> {
    return this.#unsubscribe(this.endpoint);
  }
}

export class ExtensionPushMessageData {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  arrayBuffer(): ArrayBuffer {
    return copyOf(this.#bytes);
  }

  bytes(): Uint8Array {
    return new Uint8Array(copyOf(this.#bytes));
  }

  blob(): Blob {
    return new Blob([copyOf(this.#bytes)]);
  }

  text(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  json(): unknown {
    return JSON.parse(this.text());
  }
}

export class ExtensionPushEvent extends Event {
  readonly data: ExtensionPushMessageData | null;

  constructor(type: string, data: ExtensionPushMessageData | null) {
    super(type);
    this.data = data;
  }
}

type PushHandler = ((event: ExtensionPushEvent) => unknown) | null;

export class PushApi extends EventTarget {
  readonly #transport: Transport;
  #listening = false;
  #onpush: PushHandler = null;

  constructor(transport: Transport) {
    super();
    this.#transport = transport;
    transport.onPush((data) => {
      const payload = data === null ? null : new ExtensionPushMessageData(decodeBase64Url(data));
      this.dispatchEvent(new ExtensionPushEvent('push', payload));
    });
  }

  /** Asks the user once per origin; rejects with NotAllowedError when they (or the add-on) say no. */
  async subscribe(
    options: { applicationServerKey?: unknown; userVisibleOnly?: boolean } = {},
  ): Promise<ExtensionPushSubscription> {
    const applicationServerKey = normalizeApplicationServerKey(options?.applicationServerKey);
    const data = await this.#transport.request({ type: 'subscribe', applicationServerKey });
    return this.#wrap(data);
  }

  async getSubscription(): Promise<ExtensionPushSubscription | null> {
    const data = await this.#transport.request({ type: 'getSubscription' });
    return data ? this.#wrap(data) : null;
  }

  /** Ends this origin's subscription; true when there was one. */
  unsubscribe(): Promise<boolean> {
    return this.#transport.request({ type: 'unsubscribe', endpoint: null });
  }

  permissionState(): Promise<PagePermissionState> {
    return this.#transport.request({ type: 'permissionState' });
  }

  get onpush(): PushHandler {
    return this.#onpush;
  }

  set onpush(handler: PushHandler) {
    if (this.#onpush) super.removeEventListener('push', this.#onpush as EventListener);
    this.#onpush = typeof handler === 'function' ? handler : null;
    if (this.#onpush) this.addEventListener('push', this.#onpush as EventListener);
  }

  override addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: AddEventListenerOptions | boolean,
  ): void {
    super.addEventListener(type, listener, options);
    if (type === 'push' && listener) this.#listen();
  }

  /** Pushes are routed to a tab only once a page there listens for them. */
  #listen(): void {
    if (this.#listening) return;
    this.#listening = true;
    this.#transport.request({ type: 'listen' }).catch(() => {
      this.#listening = false;
    });
  }

  #wrap(data: PageSubscription): ExtensionPushSubscription {
    return new ExtensionPushSubscription(data, (endpoint) =>
      this.#transport.request({ type: 'unsubscribe', endpoint }),
    );
  }
}
