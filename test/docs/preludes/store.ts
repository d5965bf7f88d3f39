// Prelude `store`: a store and a mailer, as a block that shows createAuth() options takes them.
declare const store: import('gatehouse').AuthStore;
declare const mailer: import('gatehouse').Mailer;
export {};
