/** Runs started before the warm standby replay without it: no standby kept, looked for or dropped. */
export const WARM_STANDBY_PATCH = 'warm-standby';

const MB = 1024 * 1024;

export function megabytes(bytes: number): string {
  return `${(bytes / MB).toFixed(0)} MB`;
}

export function floorBytes(minFreeDiskMb: number): number {
  return minFreeDiskMb * MB;
}

/** `<db>_standby_<stamp>`: the drill's stamp, so the name says when it was made. */
export function standbyName(live: string, stamp: string): string {
  return `${live}_standby_${stamp}`;
}
