import type http from 'node:http';

/**
 * Whether a request is paid by a subscription login rather than per token: Claude's OAuth tokens
 * (`sk-ant-oat…`, or the `oauth` beta) and Codex's ChatGPT login (`chatgpt-account-id`). Such runs
 * are still metered, as the API-equivalent spend, and the record says so.
 */
export function isSubscriptionLogin(headers: http.IncomingHttpHeaders): boolean {
  const auth = String(headers.authorization ?? '');
  if (/^Bearer\s+sk-ant-oat/i.test(auth)) return true;
  if (String(headers['anthropic-beta'] ?? '').includes('oauth') && headers['x-api-key'] === undefined && auth !== '') return true;
  return headers['chatgpt-account-id'] !== undefined;
}
