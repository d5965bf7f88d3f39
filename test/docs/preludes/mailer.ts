// Prelude `mailer`: a mailer, for a block that makes its own store.
declare const mailer: import('gatehouse').Mailer;
export {};
