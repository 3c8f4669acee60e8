import { describe, expect, it } from 'vitest';
import { useWorkerProcess } from '../support/e2e-worker';
import { temporalCli } from '../support/temporal-cli';
import { ping } from '../../workflows';

describe('client → Temporal dev server → worker → activity → Docker/PostgreSQL', () => {
  const { taskQueue } = useWorkerProcess('chain');

  it('runs the ping workflow started by the temporal CLI with JSON input', async () => {
    const stdout = await temporalCli([
      'workflow',
      'execute',
      '--type',
      ping.name,
      '--task-queue',
      taskQueue,
      '--input',
      '{}',
      '--output',
      'json',
    ]);
    const { result, status } = JSON.parse(stdout) as { status: string; result: unknown };
    expect(status).toBe('COMPLETED');
    const services = JSON.stringify(result);
    // Each service answered SELECT 1 from its real sandbox PostgreSQL 15 container.
    expect(services).toContain('argus_db');
    expect(services).toContain('hermes_db');
    expect(services).toMatch(/"serverVersion":"15\./);
  }, 180_000);
});
