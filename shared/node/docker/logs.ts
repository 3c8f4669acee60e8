import { docker, dockerCall } from './client';
import { inspectContainer } from './containers';
import { demultiplexLog } from './frames';

export interface LogSelection {
  since?: Date;
  /** Only the last lines. */
  tail?: number;
}

/** A container's log (stdout and stderr, in the order written) as text, its frames taken apart. */
export async function containerLogs(name: string, selection: LogSelection = {}): Promise<string> {
  const info = await inspectContainer(name);
  // Unset keys stay out: the query string would carry `since=` for an undefined one.
  const query = {
    ...(selection.since && { since: Math.floor(selection.since.getTime() / 1000) }),
    ...(selection.tail !== undefined && { tail: selection.tail }),
  };
  const raw = await dockerCall(`docker logs ${name}`, () =>
    docker()
      .getContainer(name)
      .logs({ stdout: true, stderr: true, follow: false, ...query }),
  );
  // With a TTY Docker writes the text as it is: there are no frames to take apart.
  return (info.Config.Tty ? raw : demultiplexLog(raw)).toString('utf8');
}

/** The log lines written since a time, empty lines left out. */
export async function logLinesSince(name: string, since: Date): Promise<string[]> {
  const text = await containerLogs(name, { since });
  return text.split('\n').filter((line) => line.length > 0);
}
