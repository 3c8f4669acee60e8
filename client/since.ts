import { CliError, ExitCode } from './output';

const units: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses "30d", "12h", "90m", "2w" or an ISO time into a Date. */
export function parseSince(value: string, now = new Date()): Date {
  const relative = /^(\d+)([mhdw])$/.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * units[relative[2]]);
  const absolute = new Date(value);
  if (Number.isNaN(absolute.getTime())) {
    throw new CliError(`--since "${value}" is neither a duration like 30d/12h nor an ISO time`, ExitCode.usage);
  }
  return absolute;
}
