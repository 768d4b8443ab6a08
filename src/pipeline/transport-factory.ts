// Builds each subscription's transport from the configuration: the HTTPS target, and the TLS
// material (trusted certificates, client key pair) read from files that are watched for rotation.
import { formatters } from '../../formats/index.js';
import { HttpsTransport } from '../../transports/https.js';
import { TcpTransport } from '../../transports/tcp.js';
import type { GatewayConfig, Subscription } from '../config/gateway-config.js';
import type { Logger } from '../logger.js';
import { destinationPolicyOf } from '../network/destination-policy.js';
import { ownListeners } from '../network/own-listeners.js';
import { loadCertificates, loadKeyPair } from '../tls/key-material.js';
import { loadSigningKey, type SigningKey } from '../tls/signing-key.js';
import { version } from '../version.js';
import type { Transport } from '../contracts/transport.js';
import { hecChannel } from './indexer-acks.js';

export interface TransportFactory {
  create(subscription: Subscription): Transport;
  /** Format SET: its signing key, read and checked (throws KeyMaterialError when it cannot be used). */
  signingKey(subscription: Subscription): SigningKey | undefined;
  /** Everything the transport is built from: a change means the pipeline restarts. */
  fingerprint(subscription: Subscription): string;
}

export function transportFactory(config: GatewayConfig, logger: Logger): TransportFactory {
  const policy = destinationPolicyOf(config.network, ownListeners);
  // Ids are per environment: each lookup is in the subscription's own.
  const keyOf = (subscription: Subscription, id: string | undefined) => (id === undefined ? undefined : config.keys.find((key) => key.id === id && key.environment === subscription.environment));
  const material = (subscription: Subscription) => ({
    key: keyOf(subscription, subscription.tlsClientAuthKeyPair?.id),
    certificates: (subscription.trustedCertificates ?? []).map((reference) => config.certificates.find((certificate) => certificate.id === reference.id && certificate.environment === subscription.environment)!),
    signingKey: keyOf(subscription, subscription.set?.signingKey.id),
  });
  return {
    fingerprint: (subscription) => JSON.stringify({ subscription, ...material(subscription) }),
    signingKey(subscription) {
      const key = material(subscription).signingKey;
      return key === undefined ? undefined : loadSigningKey(key, config.management.pkcs12MaxIterations);
    },
    create(subscription) {
      const { key, certificates } = material(subscription);
      const tls = {
        loadTls: () => ({ trusted: certificates.flatMap((certificate) => loadCertificates(certificate)), clientKeyPair: key && loadKeyPair(key, new Date(), config.management.pkcs12MaxIterations) }),
        // Managed material (PEM in memory) changes through the API, which restarts the pipeline.
        watchFiles: [...(key?.pem === undefined ? [key?.certFile, key?.keyFile, key?.pkcs12File] : []), ...certificates.filter((certificate) => certificate.pem === undefined).map((certificate) => certificate.file)].filter((file): file is string => file !== undefined),
        onTlsReload: (outcome: { ok: true } | { ok: false; error: string }) => {
          if (outcome.ok) logger.info({ subscription: subscription.id }, 'TLS files changed; new connections use them');
          else logger.error({ subscription: subscription.id, error: outcome.error }, 'TLS files changed but cannot be used; keeping the previous ones');
        },
      };
      if (subscription.protocol === 'TCP_IP') {
        return new TcpTransport({ ...tls, target: { url: new URL(subscription.connectionDetails!.url), timeoutMs: subscription.delivery.timeoutMs, verifyTlsCertificates: subscription.verifyTlsCertificates, policy } });
      }
      const endpoint = subscription.httpEndpoint!;
      return new HttpsTransport({
        ...tls,
        target: {
          url: new URL(endpoint.url),
          // splunk.indexerAck: every request on the subscription's channel (HEC answers code 10 without one).
          headers: subscription.format === 'SPLUNK' && subscription.splunk?.indexerAck === true ? { ...endpoint.headers, 'X-Splunk-Request-Channel': hecChannel(subscription) } : endpoint.headers ?? {},
          basicAuth: subscription.basicAuth,
          compression: subscription.delivery.compression,
          timeoutMs: subscription.delivery.timeoutMs,
          maxInFlight: subscription.delivery.maxInFlight,
          verifyTlsCertificates: subscription.verifyTlsCertificates,
          userAgent: `siem-gateway/${version}`,
          signing: subscription.signing,
          policy,
          readResponse: formatters[subscription.format].readItems !== undefined,
          ...(subscription.oauth2 === undefined ? {} : { oauth2: { ...subscription.oauth2, tokenUrl: new URL(subscription.oauth2.tokenUrl) } }),
        },
      });
    },
  };
}
