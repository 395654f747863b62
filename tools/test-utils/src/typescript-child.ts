/**
 * Node options that let a child process (`fork`, `spawn('node')`) import TypeScript files — a test's own
 * module, a package's `src` — as vitest does in the parent: jiti's loader hook. Node 20 has no type
 * stripping of its own.
 */
export function typeScriptExecArgv(): string[] {
  return ['--import', import.meta.resolve('jiti/register')];
}
