import { sandboxService } from './sandbox-db';

/** The HTTP status of every health URL of a service, as curl in the runbook would show it. */
export async function healthStatuses(service: string): Promise<number[]> {
  return Promise.all(
    sandboxService(service).healthUrls.map(async (url) => {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
        return response.status;
      } catch {
        return 0;
      }
    }),
  );
}
