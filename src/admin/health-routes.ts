// Liveness and readiness for load balancers and orchestrators. Readiness lists every subscription
// so a probe can tell a healthy process with a failing destination from a healthy one.
import type { FastifyInstance } from 'fastify';

export interface SubscriptionState {
  id: string;
  environment: string;
  state: 'ok' | 'retrying' | 'failing' | 'suspended';
}

export interface Readiness {
  ready: boolean;
  subscriptions: SubscriptionState[];
}

export function registerHealthRoutes(server: FastifyInstance, readiness: () => Readiness): void {
  server.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  server.get('/readyz', (_request, reply) => {
    const state = readiness();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', subscriptions: state.subscriptions });
  });
}
