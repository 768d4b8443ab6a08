// Everything the admin listener serves, registered in one place: health, metrics, the management
// API (subscriptions, keys and certificates, dead letters and replay), its OpenAPI document and
// the console.
import type { FastifyInstance } from 'fastify';
import type { TokenAuthenticator } from '../auth/token-authenticator.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { registerAdminBodyParser } from './admin-body.js';
import { registerAdminErrors } from './admin-errors.js';
import { registerConsoleRoutes } from './console-route.js';
import { registerHealthRoutes, type Readiness } from './health-routes.js';
import { registerKeyRoutes } from './key-routes.js';
import { registerMetricsRoute } from './metrics-route.js';
import { collectRoutes, registerOpenApiRoute } from './openapi.js';
import { registerSubscriptionRoutes, type SubscriptionAdmin } from './subscription-routes.js';

export interface AdminContext {
  management: SubscriptionAdmin;
  metrics: GatewayMetrics;
  readiness: () => Promise<Readiness>;
  metricsAccess: () => { auth: TokenAuthenticator; public: boolean; sources: readonly { id: string; environment: string }[] };
}

export function registerAdminRoutes(admin: FastifyInstance, { management, metrics, readiness, metricsAccess }: AdminContext): void {
  const routes = collectRoutes(admin);
  registerHealthRoutes(admin, readiness, () => management.auth());
  registerMetricsRoute(admin, metrics, metricsAccess);
  registerAdminErrors(admin, management.logger);
  registerAdminBodyParser(admin);
  registerSubscriptionRoutes(admin, management);
  registerKeyRoutes(admin, management);
  registerOpenApiRoute(admin, routes);
  registerConsoleRoutes(admin);
}
