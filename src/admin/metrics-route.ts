// GET /metrics on the admin listener, behind a token with the metrics scope unless metrics.public.
import type { FastifyInstance } from 'fastify';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import type { GatewayMetrics } from '../observability/metrics.js';

export function registerMetricsRoute(server: FastifyInstance, metrics: GatewayMetrics, settings: () => { auth: TokenAuthenticator; public: boolean; sources: readonly { id: string; environment: string }[] }): void {
  server.get('/metrics', async (request, reply) => {
    const { auth, public: open, sources } = settings();
    let environments: readonly string[] | undefined;
    if (!open) {
      const token = auth.authenticate(request.headers.authorization);
      if (token === undefined) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required' });
      if (!allows(token, 'metrics')) return reply.code(403).send({ error: 'forbidden', message: 'this token does not have the metrics scope' });
      environments = token.environments;
    }
    const text = await metrics.exposition();
    return reply.header('content-type', metrics.registry.contentType).send(environments === undefined ? text : onlyEnvironments(text, new Set(environments), new Map(sources.map((source) => [source.id, source.environment]))));
  });
}

/**
 * The exposition without the series of other environments: by their environment label, and for the
 * source series (labelled by source) by the environment of that source. Series of neither stay.
 */
function onlyEnvironments(text: string, allowed: ReadonlySet<string>, sourceEnvironments: ReadonlyMap<string, string>): string {
  return text
    .split('\n')
    .filter((line) => {
      if (line.startsWith('#')) return true;
      const environment = /[{,]environment="((?:[^"\\]|\\.)*)"/.exec(line);
      if (environment !== null) return allowed.has(environment[1]!);
      const source = /[{,]source="((?:[^"\\]|\\.)*)"/.exec(line);
      // A source this configuration no longer has is nobody's to see.
      return source === null || allowed.has(sourceEnvironments.get(source[1]!) ?? '');
    })
    .join('\n');
}
