// Prelude `session`: the context of a signed-in request, as sessions.validate() answered it.
declare const ctx: import('gatehouse').AuthContext;
export {};
