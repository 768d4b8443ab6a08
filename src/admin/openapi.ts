// GET /openapi.json: an OpenAPI 3.1 document of the admin listener, generated from the routes
// fastify actually registered (so it cannot list a route that does not exist, or miss one), with
// each operation's words and schemas from the table below. The subscription schema is the same
// one the configuration file is validated with.
import type { FastifyInstance, RouteOptions } from 'fastify';
import { SubscriptionSchema } from '../config/schema.js';
import { secretMembers } from '../config/secret-fields.js';
import { version } from '../version.js';

interface Operation {
  summary: string;
  body?: string;
  ok: { status: number; schema?: string; description: string };
  errors: number[];
}

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Words and shapes per route, keyed by "METHOD url" as fastify registers it. */
const operations: Record<string, Operation> = {
  'GET /healthz': { summary: 'The process is alive', ok: { status: 200, description: '{"status":"ok"}' }, errors: [] },
  'GET /readyz': { summary: 'Ready to accept events; with an admin or metrics token, each subscription state', ok: { status: 200, description: 'ready' }, errors: [503] },
  'GET /metrics': { summary: 'Prometheus metrics (metrics scope)', ok: { status: 200, description: 'text exposition format' }, errors: [401, 403] },
  'GET /openapi.json': { summary: 'This document', ok: { status: 200, description: 'OpenAPI 3.1' }, errors: [] },
  'GET /v1/environments': { summary: 'The environments this token may manage', ok: { status: 200, description: '{"environments": [...]}' }, errors: [401, 403] },
  'GET /v1/environments/:envId/subscriptions': { summary: 'List subscriptions (paging: limit, after)', ok: { status: 200, schema: 'SubscriptionList', description: 'a page of subscriptions' }, errors: [400, 401, 403, 404] },
  'POST /v1/environments/:envId/subscriptions': { summary: 'Create a subscription (id generated when absent)', body: 'Subscription', ok: { status: 201, schema: 'Subscription', description: 'created, with ETag and Location' }, errors: [400, 401, 403, 404, 409] },
  'GET /v1/environments/:envId/subscriptions/:id': { summary: 'Read one subscription (ETag)', ok: { status: 200, schema: 'Subscription', description: 'the subscription, secrets left out' }, errors: [401, 403, 404] },
  'PUT /v1/environments/:envId/subscriptions/:id': { summary: 'Replace a subscription (If-Match; secrets left out are kept)', body: 'Subscription', ok: { status: 200, schema: 'Subscription', description: 'replaced, with the new ETag' }, errors: [400, 401, 403, 404, 409, 412] },
  'DELETE /v1/environments/:envId/subscriptions/:id': { summary: 'Delete a subscription, its cursor and its dead letters (If-Match)', ok: { status: 204, description: 'deleted' }, errors: [401, 403, 404, 409, 412] },
  'GET /v1/environments/:envId/subscriptions/:id/status': { summary: 'State, backlog, oldest undelivered age, last attempt, dead letters', ok: { status: 200, schema: 'Status', description: 'the status' }, errors: [401, 403, 404] },
  'POST /v1/environments/:envId/subscriptions/:id/retry': { summary: 'End the current backoff wait now', ok: { status: 200, description: '{"retried": true|false}' }, errors: [401, 403, 404] },
  'POST /v1/environments/:envId/subscriptions/:id/test': { summary: 'Send one synthetic event now', ok: { status: 200, schema: 'TestResult', description: 'status, latency, answer, TLS details or the error' }, errors: [401, 403, 404] },
  'GET /v1/environments/:envId/subscriptions/:id/dead-letters': { summary: 'Dead letters, newest first (paging: limit, before)', ok: { status: 200, description: 'a page of dead letters' }, errors: [400, 401, 403, 404] },
  'POST /v1/environments/:envId/subscriptions/:id/dead-letters/replay': { summary: 'Replay dead letters (all, or {"seqs": [...]}) as a job', body: 'DeadLetterReplay', ok: { status: 202, schema: 'ReplayJob', description: 'the job' }, errors: [400, 401, 403, 404, 409] },
  'DELETE /v1/environments/:envId/subscriptions/:id/dead-letters': { summary: 'Purge the dead letters', ok: { status: 200, description: '{"removed": N}' }, errors: [401, 403, 404] },
  'POST /v1/environments/:envId/subscriptions/:id/replay': { summary: 'Send the events accepted between from and to again, beside live delivery', body: 'RangeReplay', ok: { status: 202, schema: 'ReplayJob', description: 'the job' }, errors: [400, 401, 403, 404, 409] },
  'GET /v1/environments/:envId/subscriptions/:id/replays/:jobId': { summary: 'A replay job and its progress', ok: { status: 200, schema: 'ReplayJob', description: 'the job' }, errors: [401, 403, 404] },
  'GET /v1/environments/:envId/keys': { summary: 'List key pairs', ok: { status: 200, description: '{"keys": [...]}' }, errors: [401, 403, 404] },
  'POST /v1/environments/:envId/keys': { summary: 'Add a key pair (PEM or PKCS#12), usage OUTBOUND_MTLS or SIGNING', body: 'KeyPair', ok: { status: 201, description: 'the key pair, without its private key' }, errors: [400, 401, 403, 404, 409] },
  'GET /v1/environments/:envId/keys/:id': { summary: 'Read one key pair (never its private key)', ok: { status: 200, description: 'the key pair' }, errors: [401, 403, 404] },
  'DELETE /v1/environments/:envId/keys/:id': { summary: 'Delete a key pair no subscription uses', ok: { status: 204, description: 'deleted' }, errors: [401, 403, 404, 409] },
  'GET /v1/environments/:envId/certificates': { summary: 'List trusted certificates', ok: { status: 200, description: '{"certificates": [...]}' }, errors: [401, 403, 404] },
  'POST /v1/environments/:envId/certificates': { summary: 'Add a CA bundle or a pinned server certificate', body: 'Certificate', ok: { status: 201, description: 'the certificate' }, errors: [400, 401, 403, 404, 409] },
  'GET /v1/environments/:envId/certificates/:id': { summary: 'Read one certificate', ok: { status: 200, description: 'the certificate' }, errors: [401, 403, 404] },
  'DELETE /v1/environments/:envId/certificates/:id': { summary: 'Delete a certificate no subscription uses', ok: { status: 204, description: 'deleted' }, errors: [401, 403, 404, 409] },
};

const errorWords: Record<number, string> = { 400: 'invalid: problems name each field', 401: 'no valid token', 403: 'no admin scope, or a limit reached', 404: 'not found, or not visible to this token', 409: 'conflict (exists, defined in the file, in use, a job running)', 412: 'If-Match does not match the ETag', 503: 'not ready' };

/** A JSON schema where fields with a default are optional, as they are to a client. */
function withOptionalDefaults(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withOptionalDefaults);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, withOptionalDefaults(value)])) as { required?: string[]; properties?: Record<string, { default?: unknown }> };
  if (out.required !== undefined && out.properties !== undefined) out.required = out.required.filter((name) => out.properties![name]?.default === undefined);
  return out;
}

/** The file's subscription schema; in the API the path gives the environment and an absent id is generated. */
function subscriptionSchema(): unknown {
  const schema = withOptionalDefaults(JSON.parse(JSON.stringify(SubscriptionSchema))) as { required: string[]; properties: Record<string, unknown> };
  schema.required = schema.required.filter((name) => name !== 'id' && name !== 'environment');
  schema.properties.managedBy = { enum: ['file', 'api'], readOnly: true };
  // Secrets are accepted, never returned.
  const writeOnly = (object: string, member: string) => (((schema.properties[object] as { properties: Record<string, Record<string, unknown>> }).properties[member]!).writeOnly = true);
  for (const [object, member] of secretMembers) writeOnly(object, member);
  return schema;
}

const schemas = {
  Subscription: subscriptionSchema(),
  SubscriptionList: { type: 'object', properties: { subscriptions: { type: 'array', items: ref('Subscription') }, next: { type: 'string' } } },
  Status: { type: 'object', properties: { state: { enum: ['ok', 'retrying', 'failing', 'suspended', 'elsewhere'] }, owner: { type: 'string' }, backlogEvents: { type: 'integer' }, oldestUndeliveredAgeSeconds: { type: 'number' }, lastAttempt: { type: 'object' }, deliveredLastMinute: { type: 'integer' }, deadLetters: { type: 'integer' } } },
  TestResult: { type: 'object', properties: { delivered: { type: 'boolean' }, status: { type: 'integer' }, latencyMs: { type: 'integer' }, response: { type: 'string' }, error: { type: 'string' }, tls: { type: 'object' } } },
  DeadLetterReplay: { type: 'object', properties: { seqs: { type: 'array', items: { type: 'integer' } } }, additionalProperties: false },
  RangeReplay: { type: 'object', required: ['from', 'to'], properties: { from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' } } },
  ReplayJob: { type: 'object', properties: { id: { type: 'string' }, kind: { enum: ['range', 'dead-letters'] }, state: { enum: ['running', 'done', 'failed'] }, fromSeq: { type: 'integer' }, toSeq: { type: 'integer' }, position: { type: 'integer' } } },
  KeyPair: { type: 'object', required: ['usage'], properties: { id: { type: 'string' }, usage: { enum: ['OUTBOUND_MTLS', 'SIGNING'] }, certificate: { type: 'string' }, privateKey: { type: 'string', writeOnly: true }, pkcs12: { type: 'string', contentEncoding: 'base64', writeOnly: true }, passphrase: { type: 'string', writeOnly: true } } },
  Certificate: { type: 'object', required: ['certificate'], properties: { id: { type: 'string' }, certificate: { type: 'string' } } },
  Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' }, problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
};

/** Collects the routes as fastify registers them; call before registering any. */
export function collectRoutes(server: FastifyInstance): RouteOptions[] {
  const routes: RouteOptions[] = [];
  server.addHook('onRoute', (route) => {
    // The console's static files are not part of the API.
    if (route.method !== 'HEAD' && (route.config as { openapi?: boolean })?.openapi !== false) routes.push(route);
  });
  return routes;
}

export function openApiDocument(routes: readonly RouteOptions[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    for (const method of [route.method].flat()) {
      const key = `${method} ${route.url}`;
      const operation = operations[key];
      if (operation === undefined) throw new Error(`the OpenAPI table has no entry for ${key}`);
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const parameters = [...route.url.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
      const responses: Record<string, unknown> = { [operation.ok.status]: { description: operation.ok.description, ...(operation.ok.schema === undefined ? {} : { content: json(ref(operation.ok.schema)) }) } };
      for (const status of operation.errors) responses[status] = { description: errorWords[status], content: json(ref('Error')) };
      (paths[path] ??= {})[method.toLowerCase()] = {
        operationId: `${method.toLowerCase()}${path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[^A-Za-z0-9]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase())}`,
        summary: operation.summary,
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(operation.body === undefined ? {} : { requestBody: { required: true, content: json(ref(operation.body)) } }),
        responses,
        ...(route.url.startsWith('/v1/') ? {} : { security: [] }),
      };
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: 'siem-gateway management API', version },
    paths,
    components: { schemas, securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    security: [{ bearer: [] }],
  };
}

export function registerOpenApiRoute(server: FastifyInstance, routes: readonly RouteOptions[]): void {
  let document: Record<string, unknown> | undefined;
  server.get('/openapi.json', (_request, reply) => reply.send((document ??= openApiDocument(routes))));
}
