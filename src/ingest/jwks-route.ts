// GET /v1/environments/{envId}/jwks.json on the ingest listener: the public keys (RFC 7517 JWK
// Set) of the environment's SIGNING keys, so a receiver can verify the Security Event Tokens of
// format SET. Public, as key sets are; computed at most once per configuration and 60 s.
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import { loadSigningKey } from '../tls/signing-key.js';

const cacheMs = 60_000;

export function registerJwksRoute(server: FastifyInstance, options: { config: () => GatewayConfig; logger: Logger }): void {
  let cached: { config: GatewayConfig; at: number; sets: Map<string, object> } | undefined;
  const keySet = (environment: string): object => {
    const config = options.config();
    const now = Date.now();
    if (cached?.config !== config || now - cached.at > cacheMs) cached = { config, at: now, sets: new Map() };
    let set = cached.sets.get(environment);
    if (set === undefined) {
      const keys = config.keys.filter((key) => key.environment === environment && key.usage === 'SIGNING').flatMap((key) => {
        try {
          return [loadSigningKey(key).jwk];
        } catch (error) {
          options.logger.error({ environment, key: key.id }, `signing key ${key.id} cannot be published in the JWKS: ${(error as Error).message}`);
          return [];
        }
      });
      set = { keys };
      cached.sets.set(environment, set);
    }
    return set;
  };

  server.get<{ Params: { envId: string } }>('/v1/environments/:envId/jwks.json', async (request, reply) => {
    const { envId } = request.params;
    if (!options.config().environments.some((environment) => environment.id === envId)) return reply.code(404).send({ error: 'unknown_environment', message: `no environment ${envId}` });
    return reply.header('cache-control', `public, max-age=${cacheMs / 1000}`).send(keySet(envId));
  });
}
