/** Our own Prometheus metrics, beside the SDK's on the same endpoint. Names are the contract with dashboards. */
export const MetricName = {
  restoreBytes: 'opareta_restore_bytes',
  restoreDuration: 'opareta_restore_duration_seconds',
  downtime: 'opareta_downtime_seconds',
  restoreOutcomes: 'opareta_restore_outcomes',
  drillOutcomes: 'opareta_drill_outcomes',
  drillRestoreDuration: 'opareta_drill_restore_duration_seconds',
  backupAge: 'opareta_drill_backup_age_hours',
} as const;
