import { ErrorType } from '../../shared/errors';
import { quick } from '../activity-proxies';
import { failureType } from '../failures';

/**
 * The disk check before a side or scratch restore, which may make room by dropping the service's standbys (a
 * restore that gets here uses none of them; a drill would replace them anyway): only when the volume is short,
 * only when dropping them is enough (free space plus their sizes), and only when `mayDrop()` (never in a dry
 * run; never in runs from before the warm standby). Otherwise it fails as before: InsufficientDiskSpace, nothing
 * touched. Returns the standbys dropped.
 */
export async function checkDiskRoomFreeingStandbys(
  service: string,
  neededBytes: number,
  mayDrop: () => boolean,
): Promise<string[]> {
  try {
    await quick.checkDiskRoom({ service, neededBytes });
    return [];
  } catch (err) {
    if (failureType(err) !== ErrorType.InsufficientDiskSpace || !mayDrop()) throw err;
    const standbys = await quick.listStandbys({ service });
    if (standbys.length === 0) throw err;
    const freeBytes = await quick.freeDiskBytes({ service });
    const reclaimable = standbys.reduce((sum, s) => sum + s.sizeBytes, 0);
    // Dropping them would not be enough: keep them, fail as before.
    if (freeBytes + reclaimable < neededBytes) throw err;
    for (const standby of standbys) await quick.dropStandby({ service, database: standby.database });
    await quick.checkDiskRoom({ service, neededBytes });
    return standbys.map((s) => s.database);
  }
}
