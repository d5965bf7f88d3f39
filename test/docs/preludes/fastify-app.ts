// Prelude `fastify-app`: a Fastify app and the app's own handlers.
declare const app: import('fastify').FastifyInstance;
declare const loginPage: import('fastify').RouteHandlerMethod;
declare const listUsers: import('fastify').RouteHandlerMethod;
declare const showOrder: import('fastify').RouteHandlerMethod;
declare const report: import('fastify').RouteHandlerMethod;
declare function ownerOf(orderId: string): Promise<string | null>;
export {};
