import type { Notification } from '../shared/activity-contract';

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** The text people read in Slack (or any chat that takes `{text}`). */
export function notificationText(notification: Notification): string {
  const services = notification.services.join(', ');
  switch (notification.kind) {
    case 'restore-planned':
      return (
        `:warning: Planned database restore of ${services} (${notification.mode}), workflow ${notification.workflowId}. ` +
        `Backups: ${notification.backups.join(', ')}. ` +
        `Expected downtime: about ${duration(notification.expectedDowntimeSeconds)} while the dependent apps are stopped.`
      );
    case 'restore-outcome':
      return `Database restore of ${services} ${notification.outcome} (workflow ${notification.workflowId}): ${notification.detail}`;
    case 'drill-failed':
      return `:rotating_light: Restore drill FAILED for ${services} (workflow ${notification.workflowId}): ${notification.detail}`;
    case 'manual-repair-needed':
      return (
        `:rotating_light: Restore of ${services} could NOT be undone automatically (workflow ${notification.workflowId}): ` +
        `${notification.detail}\nFinish by hand:\n${notification.steps.join('\n')}`
      );
  }
}
