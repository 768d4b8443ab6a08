// POST /v1/environments/{envId}/events (SPEC §3.1): authenticate, read and validate the whole
// body, append it to the journal, and answer 202 only after the fsync that covers it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import { JournalFailedError, JournalFullError, type Journal } from '../contracts/journal.js';
import type { Logger } from '../logger.js';
import type { GatewayMetrics } from '../observability/metrics.js';
import { IngestError } from './ingest-error.js';
import { readEvents, type BodyFormat } from './read-events.js';

/** What the route reads per request, so SIGHUP can replace it without re-registering routes. */
export interface IngestSettings {
  auth: TokenAuthenticator;
  environments: ReadonlySet<string>;
  limitBytes: number;
}

export interface EventsRouteDependencies {
  settings: () => IngestSettings;
  journal: Journal;
  metrics: GatewayMetrics;
  logger: Logger;
}

const mediaTypes: Record<string, BodyFormat> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
};

export function registerEventsRoute(server: FastifyInstance, dependencies: EventsRouteDependencies): void {
  // The route reads the raw stream itself: limits after gunzip, NDJSON as a stream, exact errors.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  server.post<{ Params: { envId: string } }>('/v1/environments/:envId/events', async (request, reply) => {
    const environment = request.params.envId;
    const settings = dependencies.settings();
    const known = settings.environments.has(environment);
    try {
      const accepted = await ingest(request, environment, settings, dependencies.journal);
      dependencies.metrics.eventsReceived.inc({ environment }, accepted);
      return reply.code(202).send({ accepted });
    } catch (error) {
      if (!(error instanceof IngestError)) throw error;
      dependencies.metrics.ingestRejected.inc({ reason: error.reason });
      if (known && error.events > 0) dependencies.metrics.eventsRejected.inc({ environment, reason: error.reason }, error.events);
      dependencies.logger.info({ status: error.status, reason: error.reason, environment: known ? environment : undefined, remoteAddress: request.ip }, `ingest refused: ${error.message}`);
      return sendError(reply, error);
    }
  });
}

async function ingest(request: FastifyRequest<{ Params: { envId: string } }>, environment: string, settings: IngestSettings, journal: Journal): Promise<number> {
  const token = settings.auth.authenticate(request.headers.authorization);
  if (token === undefined) throw new IngestError(401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');
  if (!allows(token, 'ingest')) throw new IngestError(403, 'forbidden', 'this token does not have the ingest scope');
  if (!settings.environments.has(environment)) throw new IngestError(404, 'unknown_environment', 'unknown environment');
  if (!allows(token, 'ingest', environment)) throw new IngestError(403, 'forbidden', `this token may not send events to environment ${environment}`);

  const [mediaType = '', ...parameters] = (request.headers['content-type'] ?? '').split(';').map((part) => part.trim().toLowerCase());
  const format = mediaTypes[mediaType];
  if (format === undefined) throw new IngestError(415, 'unsupported_media_type', 'Content-Type must be application/json or application/x-ndjson');
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice(8).replace(/"/g, '');
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new IngestError(415, 'unsupported_media_type', 'the body must be UTF-8');
  const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== 'gzip') throw new IngestError(415, 'unsupported_media_type', 'Content-Encoding must be gzip or absent');
  const declared = Number(request.headers['content-length']);
  if (declared > settings.limitBytes) throw new IngestError(413, 'too_large', `the body is larger than server.maxBodyKB (${Math.round(settings.limitBytes / 1024)} KB)`);

  const batch = await readEvents(request.body as Readable, { format, gzip: encoding === 'gzip', limitBytes: settings.limitBytes });
  try {
    await journal.append(environment, batch);
  } catch (error) {
    if (error instanceof JournalFullError) {
      throw new IngestError(503, 'journal_full', 'the journal is full; retry later', { events: batch.count, retryAfterSeconds: error.retryAfterSeconds });
    }
    if (error instanceof JournalFailedError) {
      throw new IngestError(503, 'journal_unavailable', 'the journal cannot store events; retry later', { events: batch.count, retryAfterSeconds: error.retryAfterSeconds });
    }
    throw error;
  }
  return batch.count;
}

function sendError(reply: FastifyReply, error: IngestError): FastifyReply {
  if (error.status === 401) void reply.header('www-authenticate', 'Bearer');
  if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (error.status === 413) void reply.header('connection', 'close');
  const body: Record<string, unknown> = { error: error.reason, message: error.message };
  if (error.problems.length > 0) body.problems = error.problems;
  return reply.code(error.status).send(body);
}
