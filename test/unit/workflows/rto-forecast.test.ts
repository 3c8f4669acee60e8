import { describe, expect, it } from 'vitest';
import { forecastRestore } from '../../../workflows/drill/rto-forecast';

const GB = 1024 ** 3;

describe('RTO forecast', () => {
  it("scales the drill's restore time by the live size over the restored size", () => {
    const forecast = forecastRestore({
      dumpBytes: 20 * GB,
      restoredBytes: 10 * GB,
      liveBytes: 41 * GB,
      restoreSeconds: 380,
      rtoMinutes: 30,
    });
    expect(forecast.projectedSeconds).toBe(1558);
    expect(forecast.rtoShare).toBe(0.866);
    expect(forecast.warning).toBe("projected 26 min for 41 GB at today's rate: above 80% of RTO of 30 min");
  });

  it('says "over the RTO" past 100%, and nothing below 80%', () => {
    const over = forecastRestore({
      dumpBytes: 1,
      restoredBytes: GB,
      liveBytes: 3 * GB,
      restoreSeconds: 700,
      rtoMinutes: 30,
    });
    expect(over.warning).toBe("projected 35 min for 3.0 GB at today's rate: over the RTO of 30 min");
    const calm = forecastRestore({
      dumpBytes: 1,
      restoredBytes: GB,
      liveBytes: GB,
      restoreSeconds: 700,
      rtoMinutes: 30,
    });
    expect(calm.warning).toBeUndefined();
    expect(calm.rtoShare).toBe(0.389);
  });

  it("projects today's restore when there is no live database to measure", () => {
    const forecast = forecastRestore({
      dumpBytes: 1,
      restoredBytes: 5 * GB,
      liveBytes: undefined,
      restoreSeconds: 90,
      rtoMinutes: 30,
    });
    expect(forecast.liveBytes).toBe(5 * GB);
    expect(forecast.projectedSeconds).toBe(90);
  });
});
