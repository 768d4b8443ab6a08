// The typed configuration the engine reads: validated once at the edge, defaults filled,
// relative paths made absolute, addresses parsed. Nothing downstream re-checks strings.
import type { ResolvedReferences } from './written-form.js';
import type { RawConfig, RawSubscription } from './schema.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export type StartAt = { kind: 'latest' } | { kind: 'earliest' } | { kind: 'time'; at: Date };

export type HttpsPayloadFormat = 'JSON_ARRAY' | 'ND_JSON';

export interface Subscription extends Omit<RawSubscription, 'name' | 'startAt' | 'payloadOptions'> {
  /** Where it was defined: the configuration file (read-only in the API), or the management API. */
  managedBy: 'file' | 'api';
  name: string;
  startAt: StartAt;
  payloadOptions: {
    maximumPayloadLimit: { type: 'EVENTS_PER_PAYLOAD' | 'KB_PER_PAYLOAD'; size: number };
    payloadFormat: {
      https: { format: HttpsPayloadFormat; prettyPrint: boolean };
      tcp: { format: 'JSON_DOC' | 'RFC_LOGLINE'; framing: 'OCTET_COUNTING' | 'NEWLINE'; additionalAttributes?: Record<string, string> };
    };
    flushMs: number;
  };
}

type RawServer = RawConfig['server'];
type Listener = RawServer['ingest'] & { address: ListenAddress };

export interface GatewayConfig extends Omit<RawConfig, 'server' | 'subscriptions' | 'keys' | 'certificates'> {
  /** Absolute path of the file this was read from. */
  file: string;
  server: Omit<RawServer, 'ingest' | 'admin'> & { ingest: Listener; admin: Listener };
  subscriptions: Subscription[];
  keys: KeyConfig[];
  certificates: CertificateConfig[];
  /** What `${env:…}` / `${file:…}` references resolved to, so logs can print the references instead. */
  references: ResolvedReferences;
}

export type Environment = GatewayConfig['environments'][number];
export type TokenConfig = GatewayConfig['auth']['tokens'][number];
/**
 * A key pair or certificate managed through the API carries its PEM text here, in memory (never as
 * a file under storage.dir: the store keeps it, sealed when management.encryptionKey is set).
 */
export type KeyConfig = RawConfig['keys'][number] & { pem?: { certificate?: string; privateKey: string } };
export type CertificateConfig = RawConfig['certificates'][number] & { pem?: string };
export type SourceConfig = GatewayConfig['sources'][number];
