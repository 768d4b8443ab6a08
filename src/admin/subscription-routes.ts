// The subscription routes of the management API (SPEC §6), PingOne's shape:
//   GET|POST /v1/environments/{envId}/subscriptions, GET|PUT|DELETE …/subscriptions/{id},
//   GET …/{id}/status, POST …/{id}/retry.
// `admin` scope; a token limited to other environments gets 404, never 403, so existence does not
// leak. Objects from the file are listed with managedBy "file" and are read-only (409). Every
// single object carries an ETag; If-Match on PUT and DELETE answers 412 when it changed since.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import { adminAuthorizer, fail } from './admin-access.js';
import type { GatewayConfig, Subscription, TokenConfig } from '../config/gateway-config.js';
import { parseIsoTime } from '../config/parse-values.js';
import { asWritten } from '../config/written-form.js';
import type { Logger } from '../logger.js';
import type { ManagedConfig } from '../management/managed-config.js';
import { changedFields, keepSecrets, withoutSecrets } from '../management/secrets.js';
import type { RecordSource } from '../management/replay-journal.js';
import type { ReplayJobs } from '../management/replay-jobs.js';
import type { DeadLetterArchive } from '../contracts/dead-letters.js';
import { VersionConflictError, type StoredObject } from '../contracts/config-store.js';

/** PingOne's limit. */
export const maxSubscriptionsPerEnvironment = 50;
const maxPageSize = 100;

export interface SubscriptionAdmin {
  readonly managed: ManagedConfig;
  readonly logger: Logger;
  auth(): TokenAuthenticator;
  running(): GatewayConfig;
  /** Runs the file's objects plus the store's, as they are now. */
  applyManaged(): Promise<void>;
  /** A deleted subscription's cursor and dead letters go with it. */
  forget(id: string): Promise<void>;
  status(subscription: Subscription): Promise<Record<string, unknown>>;
  retryNow(id: string): Promise<boolean>;
  /** Sends one synthetic event to the destination now, outside the subscription's order. */
  testSend(subscription: Subscription): Promise<Record<string, unknown>>;
  readonly deadLetters: DeadLetterArchive;
  readonly jobs: ReplayJobs;
  /** The journal's records accepted between two times (within retention), as a replay source. */
  journalRange(fromMs: number, toMs: number): Promise<{ fromSeq: number; toSeq: number; source: RecordSource }>;
}

interface Params {
  envId: string;
  id?: string;
}

type Reply = FastifyReply;

export function registerSubscriptionRoutes(server: FastifyInstance, admin: SubscriptionAdmin): void {
  const base = '/v1/environments/:envId/subscriptions';

  const authorize = adminAuthorizer(() => admin.auth(), () => admin.running().environments.map((environment) => environment.id));

  const inEnvironment = (envId: string) => admin.running().subscriptions.filter((subscription) => subscription.environment === envId);

  /** The object as written (references unresolved), without its secrets. */
  const present = async (subscription: Subscription): Promise<{ body: Record<string, unknown>; etag: string; stored?: StoredObject }> => {
    if (subscription.managedBy === 'api') {
      const stored = (await admin.managed.store.get('subscription', subscription.environment, subscription.id))!;
      return { body: { ...withoutSecrets(stored.value), id: stored.id, environment: stored.environment, managedBy: 'api' }, etag: `"${stored.version}"`, stored };
    }
    const source = (admin.managed.fileConfig.source.resolved as { subscriptions?: Record<string, unknown>[] }).subscriptions ?? [];
    const written = JSON.parse(asWritten(JSON.stringify(source.find((item) => item.id === subscription.id) ?? {}), admin.running().references)) as Record<string, unknown>;
    const body = { ...withoutSecrets(written), managedBy: 'file' };
    return { body, etag: `"file-${Buffer.from(JSON.stringify(body)).toString('base64url').slice(-16)}"` };
  };

  const find = (envId: string, id: string | undefined) => inEnvironment(envId).find((subscription) => subscription.id === id);

  /** The token and the subscription the path names, or undefined once 401, 403 or 404 was sent. */
  const located = (request: FastifyRequest, reply: Reply): { token: TokenConfig; envId: string; id: string; subscription: Subscription } | undefined => {
    const token = authorize(request, reply);
    if (token === undefined) return undefined;
    const { envId, id } = request.params as Params;
    const subscription = find(envId, id);
    if (subscription === undefined) {
      void fail(reply, 404, 'not_found', `no subscription ${id} in environment ${envId}`);
      return undefined;
    }
    return { token, envId, id: id!, subscription };
  };

  /** The body as a subscription object, or a reply already sent. */
  const bodyObject = (request: FastifyRequest, reply: Reply, envId: string): Record<string, unknown> | undefined => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      void fail(reply, 400, 'invalid_subscription', 'the body must be a JSON object', [{ path: '', message: 'must be an object' }]);
      return undefined;
    }
    const value = { ...(body as Record<string, unknown>) };
    delete value.managedBy; // read-only; a client may send back what it got
    if (value.environment !== undefined && value.environment !== envId) {
      void fail(reply, 400, 'invalid_subscription', 'the body names another environment than the path', [{ path: '/environment', message: `must be "${envId}" (the environment in the path) or left out` }]);
      return undefined;
    }
    delete value.environment;
    return value;
  };

  const invalid = (reply: Reply, problems: { pointer: string; message: string }[]) =>
    fail(reply, 400, 'invalid_subscription', `${problems.length} problem${problems.length === 1 ? '' : 's'} in the subscription; nothing was changed`, problems.map((problem) => ({ path: problem.pointer, message: problem.message })));

  const audit = (token: TokenConfig, envId: string, id: string, operation: 'create' | 'replace' | 'delete', fields: string[]) =>
    admin.logger.info({ tokenName: token.name, environment: envId, kind: 'subscription', id, operation, fields }, 'admin change');

  // The environments this token may manage (the console's environment picker).
  server.get('/v1/environments', (request, reply) => {
    const token = admin.auth().authenticate(request.headers.authorization);
    if (token === undefined) return fail(reply.header('www-authenticate', 'Bearer'), 401, 'unauthorized', 'a valid bearer token is required');
    if (!allows(token, 'admin')) return fail(reply, 403, 'forbidden', 'this token does not have the admin scope');
    return reply.send({ environments: admin.running().environments.map((environment) => environment.id).filter((id) => allows(token, 'admin', id)) });
  });

  server.get(base, async (request, reply) => {
    if (authorize(request, reply) === undefined) return reply;
    const { envId } = request.params as Params;
    const query = request.query as { limit?: string; after?: string };
    const limit = query.limit === undefined ? maxSubscriptionsPerEnvironment : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) return fail(reply, 400, 'invalid_query', `limit must be an integer from 1 to ${maxPageSize}`, [{ path: 'limit', message: `must be 1..${maxPageSize}` }]);
    const all = inEnvironment(envId).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = all.filter((subscription) => query.after === undefined || subscription.id > query.after).slice(0, limit);
    const subscriptions = await Promise.all(page.map(async (subscription) => (await present(subscription)).body));
    const more = page.length === limit && all.some((subscription) => subscription.id > page.at(-1)!.id);
    return reply.send({ subscriptions, ...(more ? { next: page.at(-1)!.id } : {}) });
  });

  server.post(base, async (request, reply) => {
    const token = authorize(request, reply);
    if (token === undefined) return reply;
    const { envId } = request.params as Params;
    const value = bodyObject(request, reply, envId);
    if (value === undefined) return reply;
    const id = typeof value.id === 'string' ? value.id : value.id === undefined ? randomUUID() : undefined;
    if (id === undefined) return invalid(reply, [{ pointer: '/id', message: 'must be a string' }]);
    delete value.id;
    return admin.managed.serially(async () => {
      // Subscription ids are the gateway's (cursors, dead letters and leases are kept under them): an id
      // taken in another environment gets the same answer as one taken here, which never says where.
      const taken = admin.running().subscriptions.some((subscription) => subscription.id === id) || (await admin.managed.store.list('subscription')).some((object) => object.id === id);
      if (taken) return fail(reply, 409, 'already_exists', `subscription id ${id} is taken; choose another id (or leave id out for a generated one)`);
      if (inEnvironment(envId).length >= maxSubscriptionsPerEnvironment) return fail(reply, 403, 'limit_reached', `environment ${envId} already has ${maxSubscriptionsPerEnvironment} subscriptions, the most it may have`);
      const { value: complete, problems: secretProblems } = keepSecrets(value, undefined);
      const problems = secretProblems.length > 0 ? secretProblems : await admin.managed.check(envId, id, complete);
      if (problems.length > 0) return invalid(reply, problems);
      const stored = await admin.managed.store.put('subscription', envId, id, complete);
      await admin.applyManaged();
      audit(token, envId, id, 'create', changedFields({}, complete));
      void reply.code(201).header('etag', `"${stored.version}"`).header('location', `/v1/environments/${envId}/subscriptions/${id}`);
      return reply.send({ ...withoutSecrets(stored.value), id, environment: envId, managedBy: 'api' });
    });
  });

  server.get(`${base}/:id`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const { body, etag } = await present(target.subscription);
    return reply.header('etag', etag).send(body);
  });

  /** The stored object to change, or a reply already sent: 404, 409 for a file object, 412 for a stale If-Match. */
  const changeable = async (request: FastifyRequest, reply: Reply): Promise<StoredObject | undefined> => {
    const { envId, id } = request.params as Params;
    const subscription = find(envId, id);
    const stored = await admin.managed.store.get('subscription', envId, id!);
    if (subscription?.managedBy === 'file') {
      void fail(reply, 409, 'managed_by_file', `subscription ${id} is defined in the configuration file; change it there`);
      return undefined;
    }
    if (stored === undefined) {
      void fail(reply, 404, 'not_found', `no subscription ${id} in environment ${envId}`);
      return undefined;
    }
    const ifMatch = request.headers['if-match'];
    if (ifMatch !== undefined && ifMatch !== '*' && !ifMatch.split(',').map((tag) => tag.trim()).includes(`"${stored.version}"`)) {
      void fail(reply, 412, 'precondition_failed', `subscription ${id} changed since that ETag; GET it again and reapply your change`);
      return undefined;
    }
    return stored;
  };

  server.put(`${base}/:id`, async (request, reply) => {
    const token = authorize(request, reply);
    if (token === undefined) return reply;
    const { envId, id } = request.params as Params;
    const value = bodyObject(request, reply, envId);
    if (value === undefined) return reply;
    if (value.id !== undefined && value.id !== id) return invalid(reply, [{ pointer: '/id', message: `must be "${id}" (the id in the path) or left out` }]);
    delete value.id;
    return admin.managed.serially(async () => {
      const stored = await changeable(request, reply);
      if (stored === undefined) return reply;
      const { value: complete, problems: secretProblems } = keepSecrets(value, stored.value);
      const problems = secretProblems.length > 0 ? secretProblems : await admin.managed.check(envId, id!, complete);
      if (problems.length > 0) return invalid(reply, problems);
      let saved: StoredObject;
      try {
        saved = await admin.managed.store.put('subscription', envId, id!, complete, stored.version);
      } catch (error) {
        if (error instanceof VersionConflictError) return fail(reply, 412, 'precondition_failed', `subscription ${id} changed meanwhile`);
        throw error;
      }
      await admin.applyManaged();
      audit(token, envId, id!, 'replace', changedFields(stored.value, complete));
      return reply.header('etag', `"${saved.version}"`).send({ ...withoutSecrets(saved.value), id, environment: envId, managedBy: 'api' });
    });
  });

  server.delete(`${base}/:id`, async (request, reply) => {
    const token = authorize(request, reply);
    if (token === undefined) return reply;
    const { envId, id } = request.params as Params;
    return admin.managed.serially(async () => {
      const stored = await changeable(request, reply);
      if (stored === undefined) return reply;
      await admin.managed.store.delete('subscription', envId, id!, stored.version);
      await admin.applyManaged();
      await admin.forget(id!);
      audit(token, envId, id!, 'delete', []);
      return reply.code(204).send();
    });
  });

  server.get(`${base}/:id/status`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    return reply.send(await admin.status(target.subscription));
  });

  server.post(`${base}/:id/test`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const { token, envId, id, subscription } = target;
    const result = await admin.testSend(subscription);
    admin.logger.info({ tokenName: token.name, environment: envId, kind: 'subscription', id, operation: 'test', delivered: result.delivered }, 'admin change');
    return reply.send(result);
  });

  server.post(`${base}/:id/retry`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    return reply.send({ retried: await admin.retryNow(target.id) });
  });

  // ---- dead letters and replays -----------------------------------------------------------------

  server.get(`${base}/:id/dead-letters`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const query = request.query as { limit?: string; before?: string };
    const limit = query.limit === undefined ? 50 : Number(query.limit);
    const before = query.before === undefined ? Number.POSITIVE_INFINITY : /^\d{1,15}$/.test(query.before) ? Number(query.before) : Number.NaN;
    const problems = [
      ...(!Number.isInteger(limit) || limit < 1 || limit > maxPageSize ? [{ path: 'limit', message: `must be an integer from 1 to ${maxPageSize}` }] : []),
      ...(Number.isNaN(before) ? [{ path: 'before', message: 'must be a sequence number (the next value of a previous page)' }] : []),
    ];
    if (problems.length > 0) return fail(reply, 400, 'invalid_query', problems.map((problem) => `${problem.path} ${problem.message}`).join('; '), problems);
    const { letters, unreadable } = await admin.deadLetters.list(target.id);
    // Newest first; `before` pages by seq.
    const newestFirst = letters.filter((letter) => letter.seq < before).reverse();
    const page = newestFirst.slice(0, limit);
    return reply.send({ deadLetters: page, total: letters.length, ...(unreadable > 0 ? { unreadableLines: unreadable } : {}), ...(newestFirst.length > limit ? { next: page.at(-1)!.seq } : {}) });
  });

  server.post(`${base}/:id/dead-letters/replay`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const { token, envId, id, subscription } = target;
    const body = (request.body ?? {}) as { seqs?: unknown };
    if (body.seqs !== undefined && (!Array.isArray(body.seqs) || !body.seqs.every((seq) => Number.isSafeInteger(seq)))) return fail(reply, 400, 'invalid_replay', 'seqs must be a list of sequence numbers', [{ path: '/seqs', message: 'must be a list of integers' }]);
    const running = admin.jobs.runningFor(id);
    if (running !== undefined) return fail(reply, 409, 'replay_running', `replay ${running.id} of subscription ${id} is still running`);
    const wanted = body.seqs === undefined ? undefined : new Set(body.seqs as number[]);
    const letters = (await admin.deadLetters.list(id)).letters.filter((letter) => wanted === undefined || wanted.has(letter.seq));
    if (letters.length === 0) return fail(reply, 400, 'nothing_to_replay', wanted === undefined ? `subscription ${id} has no dead letters` : 'none of those seqs is in the dead-letter store');
    const job = admin.jobs.replayDeadLetters(subscription, letters);
    admin.logger.info({ tokenName: token.name, environment: envId, kind: 'dead-letters', id, operation: 'replay', events: letters.length, job: job.id }, 'admin change');
    return reply.code(202).header('location', `${base.replace(':envId', envId)}/${id}/replays/${job.id}`).send(job);
  });

  server.delete(`${base}/:id/dead-letters`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const { token, envId, id } = target;
    const removed = await admin.deadLetters.rewrite(id, () => true);
    admin.logger.info({ tokenName: token.name, environment: envId, kind: 'dead-letters', id, operation: 'purge', events: removed }, 'admin change');
    return reply.send({ removed });
  });

  server.post(`${base}/:id/replay`, async (request, reply) => {
    const target = located(request, reply);
    if (target === undefined) return reply;
    const { token, envId, id, subscription } = target;
    const body = (request.body ?? {}) as { from?: unknown; to?: unknown };
    const problems: { path: string; message: string }[] = [];
    const time = (name: 'from' | 'to') => {
      const at = parseIsoTime(body[name]);
      if (!at.ok) problems.push({ path: `/${name}`, message: at.message });
      return at.ok ? at.value.getTime() : Number.NaN;
    };
    const from = time('from');
    const to = time('to');
    if (problems.length === 0 && from > to) problems.push({ path: '/to', message: 'must not be before from' });
    if (problems.length > 0) return fail(reply, 400, 'invalid_replay', 'the range is not valid', problems);
    const running = admin.jobs.runningFor(id);
    if (running !== undefined) return fail(reply, 409, 'replay_running', `replay ${running.id} of subscription ${id} is still running`);
    const range = await admin.journalRange(from, to);
    const job = admin.jobs.replayRange(subscription, range.source, range.fromSeq, range.toSeq);
    admin.logger.info({ tokenName: token.name, environment: envId, kind: 'replay', id, operation: 'replay', fromSeq: range.fromSeq, toSeq: range.toSeq, job: job.id }, 'admin change');
    return reply.code(202).header('location', `${base.replace(':envId', envId)}/${id}/replays/${job.id}`).send(job);
  });

  server.get(`${base}/:id/replays/:jobId`, async (request, reply) => {
    if (authorize(request, reply) === undefined) return reply;
    const { envId, id, jobId } = request.params as Params & { jobId: string };
    const job = admin.jobs.get(jobId);
    if (job === undefined || job.subscription !== id || job.environment !== envId) return fail(reply, 404, 'not_found', `no replay ${jobId} of subscription ${id}`);
    return reply.send(job);
  });
}
