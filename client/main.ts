import { Command } from 'commander';
import { registerBackupCommands } from './commands/backups';
import { registerControlCommands } from './commands/control';
import { registerHistoryCommands } from './commands/history';
import { registerHostCommands } from './commands/hosts';
import { registerSandboxCommands } from './commands/sandbox';
import { registerSetupRolesCommand } from './commands/setup-roles';
import { registerScheduleCommands } from './commands/schedule';
import { registerStartCommands } from './commands/start-workflows';

export function buildProgram(): Command {
  const program = new Command('opareta-dr')
    .description(
      'Durable PostgreSQL restores and restore drills for Opareta, on Temporal.\n' +
        'Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* or TEMPORAL_PROFILE.\n' +
        'Topology: OPARETA_CONFIG (default config/sandbox.json).',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`opareta-dr: ${text.replace(/^error: /, '')}`) })
    .exitOverride((err) => {
      // commander's own usage errors exit 2, like any other bad input; --help and --version exit 0.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
  registerBackupCommands(program);
  registerStartCommands(program);
  registerControlCommands(program);
  registerScheduleCommands(program);
  registerHistoryCommands(program);
  registerHostCommands(program);
  registerSandboxCommands(program);
  registerSetupRolesCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`opareta-dr: ${(err as Error).message}\n`);
      process.exitCode = 1;
    });
}
