import { log } from '@temporalio/activity';
import type { Notification } from '../shared/activity-contract';
import { errorMessage } from './errors';
import { notificationText } from './notify-messages';

export interface NotifyOptions {
  webhookUrl?: string;
  attempts?: number;
  retryDelayMs?: number;
  requestTimeoutMs?: number;
}

/**
 * Posts a Slack-compatible JSON body ({text}, plus the structured event for other receivers). A notification
 * never fails the restore it reports on: after the last attempt it logs and returns delivered: false.
 */
export async function sendNotification(
  notification: Notification,
  options: NotifyOptions,
): Promise<{ delivered: boolean }> {
  if (!options.webhookUrl) {
    log.info('no notification webhook configured; not sent', { kind: notification.kind });
    return { delivered: false };
  }
  const body = JSON.stringify({ text: notificationText(notification), event: notification });
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(options.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs ?? 10_000),
      });
      await response.body?.cancel();
      if (response.ok) return { delivered: true };
      log.warn('notification webhook refused', { status: response.status, attempt });
    } catch (err) {
      // The URL may carry a token (Slack's do): log the error, never the URL.
      log.warn('notification webhook unreachable', { error: errorMessage(err), attempt });
    }
    if (attempt < attempts)
      await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1_000) * attempt));
  }
  return { delivered: false };
}
