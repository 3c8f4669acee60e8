/** Everything the worker bundles: the workflow types a client may start. */
export { fullSystemRestore } from './full-system-restore';
export { ping } from './ping';
export { restoreDatabase } from './restore-database';
export { restoreDrill } from './restore-drill';
export { serviceRestoreLock } from './service-lock';
