import { readFileSync } from 'node:fs';

/**
 * This process's own peak resident set, in MB: VmHWM from /proc/self/status. It belongs to the address space,
 * which exec replaces, so in a child it starts from nothing. Not ru_maxrss (process.resourceUsage().maxRSS):
 * Linux carries the forking parent's peak across fork and exec into it, so a parent that once held 2 GB (the
 * bench while it dumped, before the demultiplexer respected backpressure) made its restore child report 2 GB.
 * Falls back to maxRSS where there is no /proc.
 */
export function peakRssMb(): number {
  let kb = process.resourceUsage().maxRSS;
  try {
    const match = /^VmHWM:\s*(\d+)\s*kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) kb = Number(match[1]);
  } catch {
    // not Linux
  }
  return Math.round(kb / 1024);
}
