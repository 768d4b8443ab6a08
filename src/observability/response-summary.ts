// What the gateway keeps and shows of a destination's answer: enough for an operator to see why
// ({"text":"Invalid token","code":4}), never the whole body. Masked first (credentials, resolved
// references, the subscriptions' own secrets), then cut, with control characters as spaces, so an
// answer can neither carry a secret out nor forge lines in a log.

/** Characters of an answer kept in the delivery log and in dead letters. */
export const keptResponseChars = 512;
/** Characters of an answer a test-send shows its caller. */
export const shownResponseChars = 256;

export function responseSummary(text: string, mask: (text: string) => string, limit = keptResponseChars): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  const masked = mask(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return masked.length > limit ? `${masked.slice(0, limit)}…` : masked;
}
