import type { RtoForecast } from '../../shared/workflow-types';

/** Drills recorded before the forecast existed replay without it. */
export const RTO_FORECAST_PATCH = 'rto-forecast';

/** Share of the RTO above which a drill warns: the margin left for a slower night or a bigger table. */
export const RTO_WARNING_SHARE = 0.8;

export interface ForecastInput {
  dumpBytes: number;
  restoredBytes: number;
  /** Undefined when the live database does not exist (gone, or the drill ran beside an in-place restore). */
  liveBytes: number | undefined;
  restoreSeconds: number;
  rtoMinutes: number;
}

/**
 * Today's restore rate applied to the production database's size today: what a restore would take now. The
 * scratch and live sizes are both pg_database_size on the same server, so indexes and bloat count alike.
 */
export function forecastRestore(input: ForecastInput): RtoForecast {
  const liveBytes = input.liveBytes ?? input.restoredBytes;
  const scale = input.restoredBytes > 0 ? liveBytes / input.restoredBytes : 1;
  const projectedSeconds = Math.round(input.restoreSeconds * scale * 10) / 10;
  const rtoShare = Math.round((projectedSeconds / (input.rtoMinutes * 60)) * 1000) / 1000;
  const forecast: RtoForecast = {
    dumpBytes: input.dumpBytes,
    restoredBytes: input.restoredBytes,
    liveBytes,
    restoreSeconds: input.restoreSeconds,
    projectedSeconds,
    rtoShare,
  };
  if (rtoShare >= RTO_WARNING_SHARE) {
    forecast.warning =
      `projected ${formatMinutes(projectedSeconds)} for ${formatBytes(liveBytes)} at today's rate: ` +
      `${rtoShare >= 1 ? 'over the' : `above ${RTO_WARNING_SHARE * 100}% of`} RTO of ${input.rtoMinutes} min`;
  }
  return forecast;
}

export function formatMinutes(seconds: number): string {
  const minutes = seconds / 60;
  return `${minutes < 10 ? minutes.toFixed(1) : Math.round(minutes)} min`;
}

export function formatBytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  if (gb >= 1) return `${gb < 10 ? gb.toFixed(1) : Math.round(gb)} GB`;
  return `${Math.round(bytes / 1024 ** 2)} MB`;
}
