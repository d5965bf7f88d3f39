// Prelude `two-factor-key`: the key that seals TOTP secrets (32 bytes, from the environment).
declare const encryptionKey: string;
export {};
