// The part of `window` the page ↔ content bridge uses, so both ends can be tested together
// without a browser.

export interface MessageEventLike {
  data: unknown;
  source: unknown;
  origin: string;
}

export interface WindowLike {
  readonly location: { readonly origin: string };
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: 'message', listener: (event: MessageEventLike) => void): void;
}
