// GET /metrics on the admin listener, behind a token with the metrics scope unless metrics.public.
import type { FastifyInstance } from 'fastify';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import type { GatewayMetrics } from '../observability/metrics.js';

export function registerMetricsRoute(server: FastifyInstance, metrics: GatewayMetrics, settings: () => { auth: TokenAuthenticator; public: boolean }): void {
  server.get('/metrics', async (request, reply) => {
    const { auth, public: open } = settings();
    let environments: readonly string[] | undefined;
    if (!open) {
      const token = auth.authenticate(request.headers.authorization);
      if (token === undefined) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required' });
      if (!allows(token, 'metrics')) return reply.code(403).send({ error: 'forbidden', message: 'this token does not have the metrics scope' });
      environments = token.environments;
    }
    const text = await metrics.exposition();
    return reply.header('content-type', metrics.registry.contentType).send(environments === undefined ? text : onlyEnvironments(text, new Set(environments)));
  });
}

/** The exposition without the series of other environments (series with no environment label stay). */
function onlyEnvironments(text: string, allowed: ReadonlySet<string>): string {
  return text
    .split('\n')
    .filter((line) => {
      const match = /[{,]environment="((?:[^"\\]|\\.)*)"/.exec(line);
      return match === null || line.startsWith('#') || allowed.has(match[1]!);
    })
    .join('\n');
}
