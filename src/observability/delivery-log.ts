// The delivery log (SPEC §7): one JSON line per attempt, to stdout with the other logs, or to
// `logging.deliveryFile` alone. The file is reopened on SIGHUP so logrotate can move it away.
import { pino } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { createLogger, type Logger } from '../logger.js';
import type { AttemptReport } from '../pipeline/subscription-pipeline.js';
import { redactSecrets } from './redact-secrets.js';

type FileDestination = ReturnType<typeof pino.destination>;

export class DeliveryLog {
  private file: { path: string; destination: FileDestination; logger: Logger } | undefined;
  private destinations = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** Follows the configuration: the file (opened, switched or closed) and each subscription's destination. */
  configure(config: GatewayConfig): void {
    this.destinations = new Map(config.subscriptions.map((subscription) => [subscription.id, redactSecrets(subscription.httpEndpoint?.url ?? subscription.connectionDetails?.url ?? '')]));
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
        outcome: result.ok ? 'delivered' : 'failed',
        ...(result.error === undefined ? {} : { error: redactSecrets(result.error) }),
      },
      'delivery',
    );
  }
}
