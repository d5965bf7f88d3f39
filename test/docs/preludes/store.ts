// Prelude `store`: a store, as a block that shows createAuth() options takes it.
declare const store: import('gatehouse').AuthStore;
export {};
