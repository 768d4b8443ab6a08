// The delivery log (SPEC §7): one JSON line per attempt, to stdout with the other logs, or to
// `logging.deliveryFile` alone. The file is reopened on SIGHUP so logrotate can move it away.
import { pino } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { createLogger, type Logger } from '../logger.js';
import { onFailure } from '../pipeline/retry-policy.js';
import type { AttemptReport } from '../pipeline/subscription-pipeline.js';
import { redactSecrets } from './redact-secrets.js';
import { asWritten, destinationForLog, type ResolvedReferences } from '../config/written-form.js';

type FileDestination = ReturnType<typeof pino.destination>;

/** The start of a failed attempt's answer kept in its line. */
const responseBytes = 512;

export class DeliveryLog {
  private file: { path: string; destination: FileDestination; logger: Logger } | undefined;
  private destinations = new Map<string, string>();
  private references: ResolvedReferences = [];

  constructor(private readonly logger: Logger) {}

  /** Follows the configuration: the file (opened, switched or closed) and each subscription's destination. */
  configure(config: GatewayConfig): void {
    this.references = config.references;
    this.destinations = new Map(config.subscriptions.map((subscription) => [subscription.id, destinationForLog(subscription.httpEndpoint?.url ?? subscription.connectionDetails?.url ?? '', config.references)]));
    const path = config.logging.deliveryFile;
    if (this.file !== undefined && path === this.file.path) {
      this.file.logger.level = config.logging.level;
      return;
    }
    this.close();
    if (path === undefined) return;
    const destination = pino.destination({ dest: path, mkdir: true, sync: false });
    this.file = { path, destination, logger: createLogger(config.logging.level, destination) };
  }

  /** Text from outside (an error, an answer) with credentials and resolved references masked. */
  masked(text: string): string {
    return redactSecrets(asWritten(text, this.references));
  }

  /** After logrotate moved the file: write to a new one at the same path. */
  reopen(): void {
    this.file?.destination.reopen();
  }

  close(): void {
    if (this.file === undefined) return;
    this.file.destination.flushSync();
    this.file.destination.end();
    this.file = undefined;
  }

  record({ batch, attempt, result, durationMs }: AttemptReport): void {
    (this.file?.logger ?? this.logger).info(
      {
        subscription: batch.subscriptionId,
        environment: batch.environment,
        destination: this.destinations.get(batch.subscriptionId),
        batch: batch.id,
        firstEventId: batch.firstEventId,
        lastEventId: batch.lastEventId,
        events: batch.events,
        bytes: batch.body.length,
        attempt,
        status: result.status,
        durationMs,
        outcome: result.ok ? 'delivered' : onFailure(result.status) === 'split' ? 'refused' : 'failed',
        ...(result.error === undefined ? {} : { error: this.masked(result.error) }),
        // What the destination said ({"text":"Invalid token","code":4}) is what an operator needs.
        ...(result.ok || result.bodyExcerpt === undefined ? {} : { response: this.masked(Buffer.from(result.bodyExcerpt).subarray(0, responseBytes).toString('utf8')) }),
      },
      'delivery',
    );
  }
}
