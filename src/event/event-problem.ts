// What is wrong with one event of a request, and where: ingest reports these, at most a few per request.
export interface EventProblem {
  /** Position of the event in the request (0-based), when known. */
  index?: number;
  /** NDJSON line (1-based), when the body is NDJSON. */
  line?: number;
  /** JSON pointer into the event. */
  path: string;
  message: string;
}
