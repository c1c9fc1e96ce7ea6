export * from './aes128gcm.js';
export * from './aesgcm.js';
export * from './base64url.js';
export * from './meta.js';
export * from './notification.js';
export * from './recovery-key.js';
export * from './subscription-keys.js';
