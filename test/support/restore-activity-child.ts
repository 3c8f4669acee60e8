/**
 * One restoreBackup in a process of its own, for test/integration/activities/parallel-restore.test.ts to kill
 * with SIGKILL in the middle, as a lost worker would die. argv: a JSON file with { topology, service, file,
 * targetDatabase, jobs, copyCutBytes }; the topology's password comes from the environment it inherits.
 */
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { parseTopology } from '../../shared/node/topology';

const request = JSON.parse(readFileSync(process.argv[2], 'utf8')) as {
  topology: unknown;
  service: string;
  file: string;
  targetDatabase: string;
  jobs: number;
  copyCutBytes: number;
};
const activities = createActivities({ topology: parseTopology(request.topology), copyCutBytes: request.copyCutBytes });
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
env
  .run(() =>
    activities.restoreBackup({
      service: request.service,
      file: request.file,
      targetDatabase: request.targetDatabase,
      jobs: request.jobs,
    }),
  )
  .then(
    (result) => console.log(JSON.stringify(result)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
