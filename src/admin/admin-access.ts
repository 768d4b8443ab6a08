// Who may call a management route: a bearer token with the `admin` scope, for an environment it
// may see. A token limited to other environments gets 404, never 403, so existence does not leak.
// Errors have one shape: {"error": code, "message": words, "problems": [{path, message}]?}.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { allows, type TokenAuthenticator } from '../auth/token-authenticator.js';
import type { TokenConfig } from '../config/gateway-config.js';

export function fail(reply: FastifyReply, status: number, error: string, message: string, problems?: { path: string; message: string }[]): FastifyReply {
  return reply.code(status).send({ error, message, ...(problems === undefined ? {} : { problems }) });
}

/** The token, or undefined once a refusal was sent: 401, 403 without the admin scope, 404 for an environment it may not see. */
export function adminAuthorizer(auth: () => TokenAuthenticator, environments: () => readonly string[]) {
  return (request: FastifyRequest, reply: FastifyReply): TokenConfig | undefined => {
    const token = auth().authenticate(request.headers.authorization);
    if (token === undefined) {
      void reply.header('www-authenticate', 'Bearer');
      void fail(reply, 401, 'unauthorized', 'a valid bearer token is required');
      return undefined;
    }
    if (!allows(token, 'admin')) {
      void fail(reply, 403, 'forbidden', 'this token does not have the admin scope');
      return undefined;
    }
    const { envId } = request.params as { envId: string };
    if (!allows(token, 'admin', envId) || !environments().includes(envId)) {
      void fail(reply, 404, 'not_found', `no environment ${envId}`);
      return undefined;
    }
    return token;
  };
}
