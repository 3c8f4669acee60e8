/** Everything the worker bundles: the workflow types a client may start, and their children. */
export { fullSystemRestore } from './full-system-restore';
export { listBackupCatalogs } from './list-backup-catalogs';
export { ping } from './ping';
export { pruneRestoreCopies } from './prune-restore-copies';
export { restoreDatabase } from './restore-database';
export { restoreDrill } from './restore-drill';
export { restoreDrillService } from './restore-drill-service';
export { serviceRestoreLock } from './service-lock';
