// The delivery log (SPEC §7): one JSON line per attempt, to stdout with the other logs, or to
// `logging.deliveryFile` alone. The file is reopened on SIGHUP so logrotate can move it away.
import { pino } from 'pino';
import type { GatewayConfig } from '../config/gateway-config.js';
import { createLogger, type Logger } from '../logger.js';
import type { AttemptReport } from '../contracts/transport.js';
import { redactSecrets } from './redact-secrets.js';
import { responseSummary } from './response-summary.js';
import { secretValues } from '../config/secret-fields.js';
import { asWritten, destinationForLog, type ResolvedReferences } from '../config/written-form.js';
import { privateFileMode } from '../util/private-modes.js';

type FileDestination = ReturnType<typeof pino.destination>;


export class DeliveryLog {
  private file: { path: string; destination: FileDestination; logger: Logger } | undefined;
  private destinations = new Map<string, string>();
  private references: ResolvedReferences = [];
  private secrets: string[] = [];

  constructor(private readonly logger: Logger) {}

  /** Follows the configuration: the file (opened, switched or closed) and each subscription's destination. */
  configure(config: GatewayConfig): void {
    this.references = config.references;
    // The subscriptions' own secrets (API objects hold them as values, not references), longest first.
    this.secrets = [...new Set(config.subscriptions.flatMap(secretValues))].filter((value) => value.length >= 4).sort((a, b) => b.length - a.length);
    this.destinations = new Map(config.subscriptions.map((subscription) => [subscription.id, destinationForLog(subscription.httpEndpoint?.url ?? subscription.connectionDetails?.url ?? '', config.references)]));
    const path = config.logging.deliveryFile;
    if (this.file !== undefined && path === this.file.path) {
      this.file.logger.level = config.logging.level;
      return;
    }
    this.close();
    if (path === undefined) return;
    const destination = pino.destination({ dest: path, mkdir: true, sync: false, mode: privateFileMode });
    this.file = { path, destination, logger: createLogger(config.logging.level, destination) };
  }

  /** Text from outside (an error, an answer) with credentials and resolved references masked. */
  masked(text: string): string {
    let out = asWritten(text, this.references);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return redactSecrets(out);
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

  record({ batch, attempt, result, outcome, durationMs }: AttemptReport): void {
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
        outcome,
        ...(result.itemCounts === undefined ? {} : { items: result.itemCounts }),
        ...(result.error === undefined ? {} : { error: this.masked(result.error) }),
        // What the destination said ({"text":"Invalid token","code":4}) is what an operator needs.
        // A 2xx answer read event by event is summed up in `items`; its text may quote event data.
        ...(result.ok || result.bodyExcerpt === undefined ? {} : { response: responseSummary(result.bodyExcerpt, (text) => this.masked(text)) }),
      },
      'delivery',
    );
  }
}
