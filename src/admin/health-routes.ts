// Liveness and readiness for load balancers and orchestrators. Readiness without a token is the
// overall status alone; with an admin or metrics token it lists the subscriptions that token may
// see, so a probe can tell a healthy process with a failing destination from a healthy one.
import type { FastifyInstance } from 'fastify';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import type { SubscriptionState as DeliveryState } from '../pipeline/pipeline-registry.js';

export interface SubscriptionState {
  id: string;
  environment: string;
  state: DeliveryState;
  /** With several gateways on one JetStream journal: the process that delivers it. */
  owner?: string;
}

export interface Readiness {
  ready: boolean;
  /** Why it is not ready, in a few words (`jetstream unreachable`, `stopping`). */
  reason?: string;
  /** With several gateways on one JetStream journal: this process's name. */
  process?: string;
  subscriptions: SubscriptionState[];
}

export function registerHealthRoutes(server: FastifyInstance, readiness: () => Promise<Readiness>, auth: () => TokenAuthenticator): void {
  server.get('/healthz', (_request, reply) => reply.send({ status: 'ok' }));
  server.get('/readyz', async (request, reply) => {
    const state = await readiness();
    const status = state.ready ? 'ready' : 'not ready';
    const reason = state.reason === undefined ? {} : { reason: state.reason };
    const token = request.headers.authorization === undefined ? undefined : auth().authenticate(request.headers.authorization);
    const scope = token && (['admin', 'metrics'] as const).find((name) => allows(token, name));
    if (token === undefined || scope === undefined) return reply.code(state.ready ? 200 : 503).send({ status, ...reason });
    const subscriptions = state.subscriptions.filter((subscription) => allows(token, scope, subscription.environment));
    return reply.code(state.ready ? 200 : 503).send({ status, ...reason, ...(state.process === undefined ? {} : { process: state.process }), subscriptions });
  });
}
