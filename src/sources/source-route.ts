// POST /v1/sources/{sourceId} on the ingest listener (SPEC §3.2): an IdP's own webhook, admitted
// by its signature or credential, normalised into canonical events and stored with the events
// API's durability (202 after the fsync). GET answers a WebSub hub's verification (asgardeo).
// Nothing unverified is stored; every refusal is counted by reason.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SourceConfig } from '../config/gateway-config.js';
import { batchOf, JournalFailedError, JournalFullError, type Journal } from '../contracts/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { amWebhookSource } from './am-webhook.js';
import { asgardeoSource } from './asgardeo.js';
import { DedupeWindow } from './dedupe-window.js';
import { keycloakSource } from './keycloak.js';
import { pingOneSource } from './pingone.js';
import { SourceRejection, type SourceType } from './source-types.js';
import { privateDirectoryMode } from '../util/private-modes.js';

export interface SourceRouteDependencies {
  sources: () => readonly SourceConfig[];
  limitBytes: () => number;
  journal: Journal;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Where each source's dedupe window is kept. */
  dir: string;
}

async function readRaw(body: Readable, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new SourceRejection(413, 'too_large', `the body is larger than server.maxBodyKB (${Math.round(limitBytes / 1024)} KB)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

export function registerSourceRoutes(server: FastifyInstance, dependencies: SourceRouteDependencies): void {
  const { journal, metrics, logger } = dependencies;
  const types: Record<SourceConfig['type'], SourceType> = {
    keycloak: keycloakSource,
    asgardeo: asgardeoSource,
    'am-webhook': amWebhookSource,
    pingone: pingOneSource(dependencies.limitBytes),
  };
  mkdirSync(dependencies.dir, { recursive: true, mode: privateDirectoryMode });
  const windows = new Map<string, DedupeWindow>();
  const windowOf = (source: SourceConfig) => {
    let window = windows.get(source.id);
    if (window === undefined) {
      const onSaveError = (error: Error) => logger.error({ source: source.id, err: error }, `source ${source.id}: its dedupe window cannot be saved (${(error as NodeJS.ErrnoException).code ?? error.message}); redeliveries are still recognised until a restart`);
      windows.set(source.id, (window = new DedupeWindow(join(dependencies.dir, `${source.id}.dedupe.json`), source.dedupeWindowSeconds * 1000, Date.now(), onSaveError)));
    }
    return window;
  };
  const find = (id: string) => dependencies.sources().find((source) => source.id === id);
  const refuse = (reply: FastifyReply, source: SourceConfig | undefined, status: number, reason: string, message: string) => {
    metrics.sourceRejected.inc({ source: source?.id ?? 'unknown', reason });
    logger.info({ source: source?.id, status, reason }, `source refused: ${message}`);
    // The rest of a body too large is not read: the connection cannot carry another request.
    if (status === 413) void reply.header('connection', 'close');
    return reply.code(status).send({ error: reason, message });
  };

  server.post<{ Params: { sourceId: string } }>('/v1/sources/:sourceId', async (request, reply) => {
    const source = find(request.params.sourceId);
    if (source === undefined) return refuse(reply, undefined, 404, 'unknown_source', `no source ${request.params.sourceId}`);
    let stored = 0;
    let received = 0;
    try {
      const body = await readRaw(request.body as Readable, dependencies.limitBytes());
      const type = types[source.type];
      const call = { headers: request.headers, body };
      type.admit(source, call);
      const normalised = await type.normalise(source, call);
      received = normalised.events.length;
      const now = Date.now();
      const window = source.dedupeWindowSeconds > 0 ? windowOf(source) : undefined;
      // Claimed before the append, with no await between check and mark: racing redeliveries store once.
      const claim = window?.claim(normalised.events.map((event) => event.id), now);
      const unclaimed = claim === undefined ? undefined : new Set(claim.fresh);
      const fresh = unclaimed === undefined ? normalised.events : normalised.events.filter((event) => unclaimed.delete(event.id));
      try {
        // Stored as sent when nothing was left out (PingOne), else as normalised objects.
        const batch = normalised.raw !== undefined && fresh.length === received ? { count: received, payload: normalised.raw, events: fresh } : batchOf(fresh);
        if (fresh.length > 0) stored = fresh.length - ((await journal.append(source.environment, { ...batch, deduplicate: true })).duplicates ?? 0);
        if (claim !== undefined) window!.settle(claim);
      } catch (error) {
        if (claim !== undefined) window!.settle(claim, error as Error);
        throw error;
      }
      // A duplicate of an event another request is storing is answered once that store is durable.
      if (claim !== undefined) await Promise.all(claim.pending);
      await window?.save(fresh.map((event) => event.id), now);
      metrics.eventsReceived.inc({ environment: source.environment }, stored);
      if (received > stored) metrics.eventsDeduplicated.inc({ source: source.id }, received - stored);
      if (normalised.unknownTypes > 0) metrics.sourceUnknownTypes.inc({ source: source.id }, normalised.unknownTypes);
      return reply.code(202).send({ accepted: received, stored });
    } catch (error) {
      if (error instanceof SourceRejection) return refuse(reply, source, error.status, error.reason, error.message);
      if (error instanceof JournalFullError) return refuse(reply.header('retry-after', String(error.retryAfterSeconds)), source, 503, 'journal_full', 'the journal is full; retry later');
      if (error instanceof JournalFailedError) return refuse(reply.header('retry-after', String(error.retryAfterSeconds)), source, 503, 'journal_unavailable', 'the journal cannot store events; retry later');
      throw error;
    }
  });

  // WebSub (Asgardeo): the hub proves the callback by sending a challenge it expects back, as is.
  server.get<{ Params: { sourceId: string }; Querystring: Record<string, string | undefined> }>('/v1/sources/:sourceId', (request, reply) => {
    const source = find(request.params.sourceId);
    if (source?.type !== 'asgardeo') return reply.code(404).send({ error: 'not_found', message: `no WebSub source ${request.params.sourceId}` });
    const mode = request.query['hub.mode'];
    const challenge = request.query['hub.challenge'];
    if ((mode !== 'subscribe' && mode !== 'unsubscribe') || challenge === undefined || challenge === '') return reply.code(400).send({ error: 'malformed', message: 'a WebSub verification has hub.mode subscribe or unsubscribe and a hub.challenge' });
    logger.info({ source: source.id, mode, topic: request.query['hub.topic'] }, `WebSub ${mode} verified for source ${source.id}`);
    return reply.code(200).header('content-type', 'text/plain').send(challenge);
  });
}
