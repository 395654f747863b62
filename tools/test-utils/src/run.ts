import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A script of the repository's `scripts/` folder (the same path from `src/` and from `dist/`). */
export function repositoryScript(name: string): string {
  return fileURLToPath(new URL(`../../../scripts/${name}`, import.meta.url));
}

/**
 * Runs a command and resolves with its stdout. Its stderr is passed through, so a slow first step (the
 * first FerretDB build takes minutes) shows its progress; a failure rejects with the exit code.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: options.timeoutMs ?? 120_000,
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** The last line a script printed: the scripts print their URL last. */
export function lastLine(output: string): string {
  return output.trim().split('\n').at(-1) ?? '';
}
