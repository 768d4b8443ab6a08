// Every refusal of the events API: its status, a fixed reason (the metrics label) and a message.
import type { EventProblem } from '../event/event-problem.js';

export type { EventProblem };

/** Every reason a request can be refused for: the values of siem_gateway_ingest_rejected_total{reason}. */
export const rejectReasons = [
  'unauthorized',
  'forbidden',
  'unknown_environment',
  'too_large',
  'unsupported_media_type',
  'malformed_json',
  'invalid_utf8',
  'too_deep',
  'invalid_event',
  'empty_body',
  'bad_gzip',
  'journal_full',
  'journal_unavailable',
  // Refused by the HTTP layer before the events route saw the request.
  'too_many_connections',
  'headers_too_large',
  'request_timeout',
  'uri_too_long',
  'bad_request',
] as const;

export type RejectReason = (typeof rejectReasons)[number];

export const maxReportedProblems = 100;

export interface IngestErrorDetails {
  problems?: EventProblem[];
  /** Events in the refused request, when the body was read far enough to count them. */
  events?: number;
  retryAfterSeconds?: number;
}

export class IngestError extends Error {
  readonly problems: EventProblem[];
  readonly events: number;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly status: number,
    readonly reason: RejectReason,
    message: string,
    details: IngestErrorDetails = {},
  ) {
    super(message);
    this.name = 'IngestError';
    this.problems = details.problems ?? [];
    this.events = details.events ?? 0;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}
