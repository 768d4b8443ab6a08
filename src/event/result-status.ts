// Whether an event's `result.status` says the action failed. The sources write FAILED (Keycloak,
// Asgardeo, PingOne), others FAILURE, failed, ERROR, DENIED or REJECTED: any status that begins so,
// in any case. One answer for every output: the syslog severity, ECS event.outcome, OTLP severity,
// OCSF status_id and CEF/LEEF severity and outcome all read it here.
const failure = /^(fail|error|denied|reject)/i;

export function isFailureStatus(status: unknown): boolean {
  return typeof status === 'string' && failure.test(status);
}
