import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { ErrorType } from '../shared/errors';
import { DumpReader, DumpRefusal, type DumpSummary } from './dump-reader';
import { errorMessage, failure } from './errors';

export const READ_CHUNK_BYTES = 1024 * 1024;
export const GUNZIP_CHUNK_BYTES = 256 * 1024;

export interface ReadProgress {
  compressedBytesRead: number;
  compressedBytesTotal: number;
}

/**
 * Refuses before streaming what cannot be a gzip: an empty file (BackupEmpty) or one without gzip's magic
 * bytes (BackupNotGzip). Returns the file size.
 */
export async function checkGzipHeader(filePath: string, file: string): Promise<number> {
  const handle = await open(filePath, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) throw failure(ErrorType.BackupEmpty, `backup ${file} is empty (0 bytes)`);
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    if (bytesRead < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) {
      throw failure(ErrorType.BackupNotGzip, `backup ${file} is not a gzip file (its first bytes are not 1f 8b)`);
    }
    return size;
  } finally {
    await handle.close();
  }
}

/** Maps zlib's errors to what an SRE needs to know about the file. */
export function gunzipFailure(err: unknown, file: string) {
  const code = (err as NodeJS.ErrnoException).code;
  const message = errorMessage(err);
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return failure(
      ErrorType.BackupTruncated,
      `backup ${file} is truncated: the gzip stream ends early (${message})`,
      err,
    );
  }
  return failure(ErrorType.BackupCorrupt, `backup ${file} is corrupt: ${message}`, err);
}

export function isZlibError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

/** Counts compressed bytes as they are read, for progress heartbeats. */
export function byteCounter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    readableHighWaterMark: READ_CHUNK_BYTES,
    writableHighWaterMark: READ_CHUNK_BYTES,
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
}

/** A refusal of the dump reader as the failure an SRE sees: file, line and command named, not retryable. */
export function unsafeBackupFailure(refusal: DumpRefusal) {
  return failure(
    ErrorType.BackupUnsafe,
    `${refusal.message} (a pg_dump of one database never does this; the file was not restored)`,
  );
}

/** Throws the broken-backup failure a finished scan reveals, if any. */
export function assertCompleteDump(summary: DumpSummary, file: string): void {
  if (summary.uncompressedBytes === 0) {
    throw failure(ErrorType.BackupEmpty, `backup ${file} is a valid gzip file that contains nothing`);
  }
  if (!summary.complete) {
    throw failure(
      ErrorType.BackupIncomplete,
      `backup ${file} is incomplete: it lacks pg_dump's closing "-- PostgreSQL database dump complete" line`,
    );
  }
}

/** Reads the whole gzip stream (what `gzip -t` checks), checks the dump is complete and summarises it. */
export async function scanBackupFile(
  filePath: string,
  file: string,
  onProgress: (progress: ReadProgress) => void = () => undefined,
  signal?: AbortSignal,
  options: { enforce?: boolean; superusers?: string[] } = {},
): Promise<DumpSummary & { sizeBytes: number }> {
  const sizeBytes = await checkGzipHeader(filePath, file);
  const reader = new DumpReader({ file, ...options });
  const sink = new Writable({
    highWaterMark: GUNZIP_CHUNK_BYTES,
    write(chunk: Buffer, _encoding, callback) {
      try {
        reader.push(chunk);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  try {
    await pipeline(
      createReadStream(filePath, { highWaterMark: READ_CHUNK_BYTES }),
      byteCounter((read) => onProgress({ compressedBytesRead: read, compressedBytesTotal: sizeBytes })),
      createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }),
      sink,
      { signal },
    );
  } catch (err) {
    if (err instanceof DumpRefusal) throw unsafeBackupFailure(err);
    if (isZlibError(err)) throw gunzipFailure(err, file);
    throw err;
  }
  let summary: DumpSummary;
  try {
    summary = reader.finish().summary;
  } catch (err) {
    if (err instanceof DumpRefusal) throw unsafeBackupFailure(err);
    throw err;
  }
  assertCompleteDump(summary, file);
  return { ...summary, sizeBytes };
}
