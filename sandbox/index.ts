/** What the product CLI, the tests and the benchmarks import from the sandbox. */
export { sandboxUp, sandboxDown, sandboxStatus, waitForHealthUrl } from './stack';
export type { SandboxUpOptions, SandboxDownOptions, ContainerStatus } from './stack';
export { backupService, backupFileName, ensureBackupGenerations, listSandboxBackups } from './backup';
export type { BackupOptions, BackupResult } from './backup';
export { generateData, addActivity, ensureSampleData, DUMP_MB_PER_SCALE } from './data';
export { ensureSandboxImages, sandboxImages } from './images';
export { loadSandboxTopology } from './topology';
