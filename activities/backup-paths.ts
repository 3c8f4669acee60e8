import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorType } from '../shared/errors';
import { failure } from './errors';

/**
 * Turns a file name from input into a path inside the backup directory, or refuses it. Names with separators,
 * `..`, absolute paths, and symlinks whose target lies outside the directory are refused; a missing file is
 * BackupNotFound.
 */
export async function resolveBackupPath(directory: string, file: string): Promise<string> {
  assertPlainFileName(directory, file);
  const candidate = path.join(directory, file);
  try {
    await lstat(candidate);
  } catch {
    throw failure(ErrorType.BackupNotFound, `backup ${file} not found in ${directory}`);
  }
  const [realDirectory, realFile] = await Promise.all([realpath(directory), realpath(candidate).catch(() => '')]);
  if (!realFile) throw failure(ErrorType.BackupNotFound, `backup ${file} in ${directory} is a dangling symlink`);
  if (path.dirname(realFile) !== realDirectory && !realFile.startsWith(realDirectory + path.sep)) {
    throw failure(
      ErrorType.PathOutsideBackupDirectory,
      `refusing backup ${file}: it resolves to ${realFile}, outside the backup directory ${directory}`,
    );
  }
  const info = await stat(realFile);
  if (!info.isFile()) throw failure(ErrorType.BackupNotFound, `backup ${file} in ${directory} is not a regular file`);
  return candidate;
}

/** Refuses names with separators, `..`, NUL or an absolute path, before anything touches the file system. */
export function assertPlainFileName(directory: string, file: string): void {
  if (
    typeof file !== 'string' ||
    file.length === 0 ||
    file === '.' ||
    file === '..' ||
    file.includes('/') ||
    file.includes('\\') ||
    file.includes('\0') ||
    path.isAbsolute(file)
  ) {
    throw failure(
      ErrorType.PathOutsideBackupDirectory,
      `refusing backup name ${JSON.stringify(file)}: give a plain file name inside ${directory}`,
    );
  }
}
