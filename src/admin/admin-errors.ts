// Errors the admin listener's framework raises before a route runs, in the API's error format,
// without echoing the body (it can hold secrets): a body that is not JSON, too large, or of
// another media type. Anything else is logged and answered 500 with no detail.
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';
import { AdminBodyError } from './admin-body.js';

/** Largest management request body. */
export const adminBodyLimitBytes = 256 * 1024;

export function registerAdminErrors(server: FastifyInstance, logger: Logger): void {
  server.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    if (error instanceof AdminBodyError) return reply.code(400).send({ error: 'invalid_body', message: `${error.path}: ${error.message}`, problems: [{ path: error.path, message: error.message }] });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(400).send({ error: 'too_large', message: `the body is larger than ${adminBodyLimitBytes / 1024} KB` });
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: 'unsupported_media_type', message: 'send application/json' });
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) return reply.code(400).send({ error: 'malformed_json', message: 'the body is not valid JSON' });
    if (error.statusCode !== undefined && error.statusCode < 500) return reply.code(error.statusCode).send({ error: 'bad_request', message: 'the request cannot be read' });
    logger.error({ err: error, method: request.method, route: request.routeOptions.url }, 'admin request failed');
    return reply.code(500).send({ error: 'internal', message: 'the request failed; see the gateway log' });
  });
}
