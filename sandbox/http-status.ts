import http from 'node:http';

/**
 * The HTTP status of a GET, or 0 when nothing answered in time. Plain node:http with a referenced timer:
 * a pending fetch() to a port whose proxy accepted the connection did not keep the process alive.
 */
export function httpStatus(url: string, timeoutMs = 3000): Promise<number> {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
    });
    const timer = setTimeout(() => request.destroy(new Error('timeout')), timeoutMs);
    request.on('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}
