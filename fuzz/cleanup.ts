/**
 * What the harness must undo however it ends (servers, data folders, the throwaway OS user): run in reverse
 * order at the end of a run, on a failure, and on Ctrl-C or SIGTERM.
 */
type Cleanup = () => Promise<void> | void;

const cleanups: { label: string; run: Cleanup }[] = [];
let signalsHooked = false;

export function onCleanup(label: string, run: Cleanup): () => void {
  const entry = { label, run };
  cleanups.push(entry);
  hookSignals();
  return () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

export async function runCleanups(log: (line: string) => void = () => undefined): Promise<void> {
  while (cleanups.length > 0) {
    const { label, run } = cleanups.pop()!;
    try {
      await run();
    } catch (err) {
      log(`cleanup of ${label} failed: ${(err as Error).message}`);
    }
  }
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nfuzz: ${signal}: stopping servers and removing what this run made\n`);
      void runCleanups((line) => process.stderr.write(`${line}\n`)).finally(() => process.exit(130));
    });
  }
}
