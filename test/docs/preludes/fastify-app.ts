// Prelude `fastify-app`: a Fastify app.
declare const app: import('fastify').FastifyInstance;
export {};
