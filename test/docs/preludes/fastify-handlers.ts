// Prelude `fastify-handlers`: the app's own Fastify handlers.
declare const loginPage: import('fastify').RouteHandlerMethod;
declare const listUsers: import('fastify').RouteHandlerMethod;
declare const showOrder: import('fastify').RouteHandlerMethod;
declare const report: import('fastify').RouteHandlerMethod;
declare function ownerOf(orderId: string): Promise<string | null>;
export {};
