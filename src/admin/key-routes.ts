// Key pairs and certificates of the management API (SPEC §6):
//   POST|GET /v1/environments/{envId}/keys, GET|DELETE …/keys/{id}
//   POST|GET /v1/environments/{envId}/certificates, GET|DELETE …/certificates/{id}
// A key pair is PEM text ({certificate, privateKey}) or a PKCS#12 file in base64 with its
// passphrase; node-forge opens PKCS#12, node:crypto checks that the key matches the certificate and
// that it is valid now. Usage OUTBOUND_MTLS is a client key for mTLS; usage SIGNING signs Security
// Event Tokens (RSA of 2048 bits or more, or EC P-256). Private keys and passphrases are never
// returned. One that a subscription uses cannot be deleted (409 naming the subscriptions).
import { randomUUID, X509Certificate } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.js';
import { jsonPointer } from '../config/config-path.js';
import { operatorReferences } from '../config/references.js';
import { Id } from '../config/schema.js';
import { checkCertificates, checkKeyPair, KeyMaterialError } from '../tls/key-material.js';
import { openPkcs12OffThread } from '../tls/pkcs12-thread.js';
import { signingKeyFromPem } from '../tls/signing-key.js';
import { adminAuthorizer, fail } from './admin-access.js';
import type { SubscriptionAdmin } from './subscription-routes.js';

const idPattern = new RegExp(Id.pattern!);

type Kind = 'key' | 'certificate';

interface Params {
  envId: string;
  id?: string;
}

/** The certificate fields shown for a key pair or a certificate (never a private key). */
function describe(pems: string[]): { subject: string; issuer: string; notAfter: string }[] {
  return pems.map((pem) => {
    const x509 = new X509Certificate(pem);
    return { subject: x509.subject.replace(/\n/g, ', '), issuer: x509.issuer.replace(/\n/g, ', '), notAfter: new Date(x509.validTo).toISOString() };
  });
}

export function registerKeyRoutes(server: FastifyInstance, admin: SubscriptionAdmin): void {
  const authorize = adminAuthorizer(() => admin.auth(), () => admin.running().environments.map((environment) => environment.id));
  const invalid = (reply: FastifyReply, what: string, problems: { path: string; message: string }[]) => fail(reply, 400, `invalid_${what}`, `${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was changed`, problems);

  for (const kind of ['key', 'certificate'] as Kind[]) {
    const base = `/v1/environments/:envId/${kind === 'key' ? 'keys' : 'certificates'}`;
    const listOf = (config: GatewayConfig) => (kind === 'key' ? config.keys : config.certificates);

    /** What GET shows of one: from the store (API) or the running configuration (file). */
    const present = async (envId: string, id: string): Promise<Record<string, unknown> | undefined> => {
      const stored = await admin.managed.store.get(kind, envId, id);
      if (stored !== undefined) {
        let described: ReturnType<typeof describe> = [];
        let problem: string | undefined;
        try {
          described = describe(typeof stored.value.certificate === 'string' ? checkCertificates(stored.value.certificate, id) : []);
        } catch (error) {
          if (!(error instanceof KeyMaterialError)) throw error;
          problem = error.message; // a damaged store entry: listed, named, not used
        }
        return { id, environment: envId, ...(kind === 'key' ? { usage: stored.value.usage } : { certificate: stored.value.certificate }), certificates: described, ...(problem === undefined ? {} : { problem }), managedBy: 'api' };
      }
      const fromFile = listOf(admin.running()).find((entry) => entry.id === id && entry.environment === envId);
      return fromFile === undefined ? undefined : { id, environment: envId, ...('usage' in fromFile ? { usage: fromFile.usage } : {}), managedBy: 'file' };
    };

    server.get(base, async (request, reply) => {
      if (authorize(request, reply) === undefined) return reply;
      const { envId } = request.params as Params;
      const ids = new Set(listOf(admin.running()).filter((entry) => entry.environment === envId).map((entry) => entry.id));
      for (const stored of await admin.managed.store.list(kind)) if (stored.environment === envId) ids.add(stored.id);
      const items = await Promise.all([...ids].sort().map((id) => present(envId, id)));
      return reply.send({ [kind === 'key' ? 'keys' : 'certificates']: items });
    });

    server.get(`${base}/:id`, async (request, reply) => {
      if (authorize(request, reply) === undefined) return reply;
      const { envId, id } = request.params as Params;
      const item = await present(envId, id!);
      return item === undefined ? fail(reply, 404, 'not_found', `no ${kind} ${id} in environment ${envId}`) : reply.send(item);
    });

    server.post(base, async (request, reply) => {
      const token = authorize(request, reply);
      if (token === undefined) return reply;
      const { envId } = request.params as Params;
      const body = request.body as Record<string, unknown> | null;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid(reply, kind, [{ path: '', message: 'must be an object' }]);
      const allowed = kind === 'key' ? ['id', 'usage', 'certificate', 'privateKey', 'pkcs12', 'passphrase'] : ['id', 'certificate'];
      const problems = Object.keys(body).filter((name) => !allowed.includes(name)).map((name) => ({ path: `/${name}`, message: `unknown key (allowed here: ${allowed.join(', ')})` }));
      for (const path of operatorReferences(body)) problems.push({ path: jsonPointer(path), message: 'holds a ${env:…} or ${file:…} reference; references are read only from the configuration file. Send the value itself' });
      const id = body.id === undefined ? randomUUID() : body.id;
      if (typeof id !== 'string' || !idPattern.test(id)) problems.push({ path: '/id', message: 'must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit' });
      let value: Record<string, unknown> | undefined;
      try {
        if (kind === 'certificate') {
          if (typeof body.certificate !== 'string') problems.push({ path: '/certificate', message: 'is required: PEM text of one or more certificates' });
          else value = { certificate: checkCertificates(body.certificate, 'the certificate').join('') };
        } else {
          if (body.usage !== 'OUTBOUND_MTLS' && body.usage !== 'SIGNING') problems.push({ path: '/usage', message: 'must be OUTBOUND_MTLS (a client key for mTLS) or SIGNING (signs Security Event Tokens)' });
          let pair: { cert?: string; key: string } | undefined;
          if (body.pkcs12 !== undefined) {
            if (body.certificate !== undefined || body.privateKey !== undefined) problems.push({ path: '/pkcs12', message: 'give either pkcs12 (with passphrase) or certificate and privateKey, not both' });
            else if (typeof body.pkcs12 !== 'string') problems.push({ path: '/pkcs12', message: 'must be the PKCS#12 file in base64' });
            else {
              try {
                pair = await openPkcs12OffThread(Buffer.from(body.pkcs12, 'base64'), typeof body.passphrase === 'string' ? body.passphrase : '', admin.running().management.pkcs12MaxIterations);
              } catch (error) {
                if (!(error instanceof KeyMaterialError)) throw error;
                problems.push({ path: error.inFile ? '/pkcs12' : '/passphrase', message: error.message });
              }
            }
          } else if (typeof body.privateKey !== 'string') {
            problems.push({ path: '/privateKey', message: 'is required: PEM text (or give pkcs12 and passphrase)' });
          } else if (typeof body.certificate !== 'string' && (body.usage !== 'SIGNING' || body.certificate !== undefined)) {
            // A SIGNING key may come alone; a client key for mTLS needs its certificate.
            problems.push({ path: '/certificate', message: 'is required for usage OUTBOUND_MTLS: PEM text (or give pkcs12 and passphrase)' });
          } else {
            pair = { ...(typeof body.certificate === 'string' ? { cert: body.certificate } : {}), key: body.privateKey };
          }
          if (pair !== undefined && problems.length === 0) {
            try {
              if (pair.cert !== undefined) checkKeyPair(pair.cert, pair.key);
              if (body.usage === 'SIGNING') signingKeyFromPem(pair.key);
              value = { usage: body.usage, ...(pair.cert === undefined ? {} : { certificate: pair.cert }), privateKey: pair.key };
            } catch (error) {
              if (!(error instanceof KeyMaterialError)) throw error;
              problems.push({ path: /private key|SIGNING key/.test(error.message) ? '/privateKey' : '/certificate', message: error.message });
            }
          }
        }
      } catch (error) {
        if (!(error instanceof KeyMaterialError)) throw error;
        problems.push({ path: '/certificate', message: error.message });
      }
      if (problems.length > 0 || value === undefined) return invalid(reply, kind, problems);
      const name = id as string;
      return admin.managed.serially(async () => {
        if ((await present(envId, name)) !== undefined) return fail(reply, 409, 'already_exists', `${kind} ${name} already exists in environment ${envId}`);
        await admin.managed.store.put(kind, envId, name, value);
        await admin.applyManaged();
        admin.logger.info({ tokenName: token.name, environment: envId, kind, id: name, operation: 'create', fields: Object.keys(value) }, 'admin change');
        return reply.code(201).send(await present(envId, name));
      });
    });

    server.delete(`${base}/:id`, async (request, reply) => {
      const token = authorize(request, reply);
      if (token === undefined) return reply;
      const { envId, id } = request.params as Params;
      return admin.managed.serially(async () => {
        const item = await present(envId, id!);
        if (item === undefined) return fail(reply, 404, 'not_found', `no ${kind} ${id} in environment ${envId}`);
        if (item.managedBy === 'file') return fail(reply, 409, 'managed_by_file', `${kind} ${id} is defined in the configuration file; change it there`);
        const users = admin.running().subscriptions.filter((subscription) => subscription.environment === envId && (kind === 'key' ? subscription.tlsClientAuthKeyPair?.id === id || subscription.set?.signingKey.id === id : subscription.trustedCertificates?.some((reference) => reference.id === id)));
        if (users.length > 0) return fail(reply, 409, 'in_use', `${kind} ${id} is used by subscription${users.length === 1 ? '' : 's'} ${users.map((subscription) => subscription.id).join(', ')}`);
        await admin.managed.store.delete(kind, envId, id!);
        await admin.applyManaged();
        admin.logger.info({ tokenName: token.name, environment: envId, kind, id, operation: 'delete', fields: [] }, 'admin change');
        return reply.code(204).send();
      });
    });
  }
}
