/**
 * `GET /openapi.json`: the OpenAPI 3.1 document of this server (public, no token). It is
 * serialized once: it only changes with the server's code.
 */
import type { FastifyInstance } from 'fastify';
import { registerRoutes } from '../app.js';
import { OPENAPI_PATH, openApiDocument } from '../openapi.js';

/** Registers `GET /openapi.json`. */
export function openApiRoutes(app: FastifyInstance): void {
  const body = JSON.stringify(openApiDocument());
  app.get(OPENAPI_PATH, async (_req, reply) =>
    reply
      .type('application/json; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(body),
  );
}

registerRoutes(openApiRoutes);
