import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { RESTORE_BACKUP_ACTIVITY, RUN_ANYWHERE_ACTIVITIES } from '../../../shared/activity-contract';
import { projectRoot } from '../../../shared/node/settings';
import { ConfigError, parseTopology, type Topology } from '../../../shared/node/topology';
import { planQueues } from '../../../worker/host-activities';
import { workerHostFrom } from '../../../worker/host-option';

function topologyWithHosts(hosts: Record<string, string | undefined>): Topology {
  const raw = JSON.parse(readFileSync(path.join(projectRoot, 'config', 'sandbox.json'), 'utf8'));
  for (const [service, host] of Object.entries(hosts)) raw.services[service].workerHost = host;
  return parseTopology(raw, path.join(projectRoot, 'config', 'sandbox.json'));
}

/** The activities as built from the topology each queue was given: which services each one may touch. */
function plan(topology: Topology, host: string | undefined) {
  const seen: string[][] = [];
  const queues = planQueues(topology, 'opareta-dr', host, (t) => {
    seen.push(Object.keys(t.services));
    return createActivities({ topology: t });
  });
  return { queues, seen };
}

const anywhere: string[] = [...RUN_ANYWHERE_ACTIVITIES].sort();

describe('what each worker polls', () => {
  it('without hosts in the topology, one worker runs everything on opareta-dr, as before hosts', () => {
    const { queues } = plan(topologyWithHosts({}), undefined);
    expect(queues.map((q) => [q.taskQueue, q.workflows, q.services])).toEqual([
      ['opareta-dr', true, ['argus', 'hermes']],
    ]);
    expect(Object.keys(queues[0].activities)).toEqual(expect.arrayContaining([RESTORE_BACKUP_ACTIVITY, ...anywhere]));
  });

  it('a host worker runs the workflows and run-anywhere steps on opareta-dr and only its services on its queue', async () => {
    const topology = topologyWithHosts({ argus: 'db-a', hermes: 'db-b' });
    const { queues, seen } = plan(topology, 'db-a');
    expect(queues.map((q) => [q.taskQueue, q.workflows, q.services])).toEqual([
      ['opareta-dr', true, []],
      ['opareta-dr@db-a', false, ['argus']],
    ]);
    expect(Object.keys(queues[0].activities).sort()).toEqual(anywhere);
    expect(Object.keys(queues[1].activities)).toContain(RESTORE_BACKUP_ACTIVITY);
    expect(Object.keys(queues[1].activities).some((name) => anywhere.includes(name))).toBe(false);
    // The host-bound activities were built from argus alone: a misrouted hermes step fails, touching nothing.
    expect(seen).toContainEqual(['argus']);
    const listHermes = async () => queues[1].activities.listBackups!({ service: 'hermes' });
    await expect(listHermes()).rejects.toMatchObject({
      type: 'UnknownService',
      nonRetryable: true,
    });
  });

  it('a worker without a host, beside host workers, runs only the orchestration', () => {
    const { queues } = plan(topologyWithHosts({ argus: 'db-a', hermes: 'db-b' }), undefined);
    expect(queues).toHaveLength(1);
    expect(Object.keys(queues[0].activities).sort()).toEqual(anywhere);
  });

  it('refuses a host that runs no service, naming the hosts the config has', () => {
    expect(() => plan(topologyWithHosts({ argus: 'db-a' }), 'db-z')).toThrow(
      /no service of opareta-sandbox runs on host "db-z".*hosts in the config: db-a/,
    );
  });

  it('rejects a workerHost that is not a host name', () => {
    expect(() => topologyWithHosts({ argus: 'DB A; rm -rf /' })).toThrow(/services\.argus\.workerHost/);
  });
});

describe('the worker’s --host option', () => {
  it('takes --host NAME, --host=NAME or OPARETA_WORKER_HOST; the flag wins', () => {
    expect(workerHostFrom([], {})).toBeUndefined();
    expect(workerHostFrom(['--host', 'db-a'], {})).toBe('db-a');
    expect(workerHostFrom(['--host=db-b'], {})).toBe('db-b');
    expect(workerHostFrom([], { OPARETA_WORKER_HOST: 'db-c' })).toBe('db-c');
    expect(workerHostFrom(['--host', 'db-a'], { OPARETA_WORKER_HOST: 'db-c' })).toBe('db-a');
  });

  it('refuses anything else with a message naming it', () => {
    expect(() => workerHostFrom(['--hots', 'db-a'], {})).toThrow(ConfigError);
    expect(() => workerHostFrom(['--host'], {})).toThrow(/--host needs a host name/);
    expect(() => workerHostFrom(['--host', '../etc'], {})).toThrow(/lower-case letters/);
  });
});
