// Calls from the add-on's pages to the background (shared/ui-api.ts), with errors as
// UiCallError carrying words meant for the user.
import browser from 'webextension-polyfill';
import { isRecord } from '../messaging/guards.js';
import type { UiMessage, UiMethod, UiMethods } from '../messaging/ui-api.js';

export class UiCallError extends Error {
  override name = 'UiCallError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type ParamsOf<M extends UiMethod> = UiMethods[M]['params'] extends undefined
  ? []
  : [UiMethods[M]['params']];

export async function call<M extends UiMethod>(
  method: M,
  ...params: ParamsOf<M>
): Promise<UiMethods[M]['result']> {
  const message = { kind: 'ui', method, params: params[0] } as UiMessage<M>;
  let response: unknown;
  try {
    response = await browser.runtime.sendMessage(message);
  } catch {
    throw new UiCallError('internal', 'The add-on is not responding. Please reopen this page.');
  }
  if (!isRecord(response)) throw new UiCallError('internal', 'The add-on gave no answer.');
  if (response.ok === true) return response.value as UiMethods[M]['result'];
  const error = isRecord(response.error) ? response.error : {};
  throw new UiCallError(
    typeof error.code === 'string' ? error.code : 'internal',
    typeof error.message === 'string' ? error.message : 'Something went wrong.',
  );
}

export function messageOf(err: unknown): string {
  return err instanceof UiCallError ? err.message : 'Something went wrong. Please try again.';
}
