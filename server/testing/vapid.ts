// Builds VAPID headers with any claims, including ones npm web-push refuses to make
// (an exp more than 24 h ahead), to test the POST Office's checks.

export type { VapidKeyPair as VapidKeys } from '../../shared/crypto/vapid.js';
export { vapidAuthorization as vapidHeader } from '../../shared/crypto/vapid.js';
