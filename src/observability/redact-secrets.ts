// Secrets that could ride along in a URL or an error text: basic-auth passwords, query-string
// tokens and credential headers. Applied to what the delivery log prints that came from outside:
// destination URLs and transport errors.
const userInfo = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi;
const queryToken = /([?&](?:[a-z0-9_-]*(?:token|key|secret|password|passwd|signature|sig|auth)[a-z0-9_-]*)=)[^&\s#"']*/gi;
const credentialHeader = /\b(authorization|api-key|x-api-key|x-license-key|x-insert-key)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|splunk)\s+)?[^\s"',;}&#]+/gi;

export function redactSecrets(text: string): string {
  return text.replace(userInfo, '$1:[redacted]@').replace(queryToken, '$1[redacted]').replace(credentialHeader, '$1$2[redacted]');
}
