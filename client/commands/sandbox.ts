import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { projectRoot } from '../../shared/settings';
import { action } from '../action';
import { CliError } from '../output';

/** The sandbox has its own small CLI (sandbox/cli.ts); this passes the words through unchanged. */
function runSandboxCli(args: string[]): Promise<void> {
  const tsx = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(projectRoot, 'sandbox', 'cli.ts'), ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new CliError(`sandbox ${args[0]} failed (exit ${code})`, code ?? 1)),
    );
  });
}

export function registerSandboxCommands(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description('the local Opareta stack in Docker (PostgreSQL + apps + backups)');
  sandbox
    .command('up')
    .description('build images once, start databases and apps, make backups when fewer than two generations exist')
    .option('--scale <n>', 'data scale for a fresh stack')
    .action(action(async (o: { scale?: string }) => runSandboxCli(['up', ...(o.scale ? ['--scale', o.scale] : [])])));
  sandbox
    .command('down')
    .description('remove the sandbox containers (data volumes are kept unless --volumes)')
    .option('--volumes', 'also remove the data volumes')
    .action(action(async (o: { volumes?: boolean }) => runSandboxCli(['down', ...(o.volumes ? ['--volumes'] : [])])));
  sandbox
    .command('status')
    .description('state and health of every sandbox container')
    .action(action(async () => runSandboxCli(['status'])));
  sandbox
    .command('backup')
    .description('pg_dump a service (or all) into the backup directory, named by the convention')
    .option('--service <name>', 'only this service')
    .action(
      action(async (o: { service?: string }) =>
        runSandboxCli(['backup', ...(o.service ? ['--service', o.service] : [])]),
      ),
    );
}
