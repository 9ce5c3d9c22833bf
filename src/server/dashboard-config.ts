/**
 * The dashboard's settings of `dct server` (config.ts loads them with the rest):
 * `dashboardWarnDays` (DCT_DASHBOARD_WARN_DAYS, --dashboard-warn-days), how many days ahead an
 * expiry counts as "expiring" in the dashboard and its Prometheus gauges.
 */
import { DctError } from '../core/errors.js';

export const DEFAULT_DASHBOARD_WARN_DAYS = 14;

/** Checks the dashboard's settings; throws INVALID_CONFIG. */
export function validateDashboard(c: { dashboardWarnDays: unknown }): void {
  const v = c.dashboardWarnDays;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 3650) {
    throw new DctError('INVALID_CONFIG', `--dashboard-warn-days must be a whole number of days from 0 to 3650, not ${JSON.stringify(v)}`);
  }
}
