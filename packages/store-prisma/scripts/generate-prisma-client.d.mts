/** Where generated clients go (git-ignored). */
export const generatedDir: string;
/** The shipped model files of a provider, as text. */
export function shippedModels(provider: string, names?: string[]): Promise<string[]>;
/** Generates a client into `generated/<name>` unless it is up to date. @returns the client's folder. */
export function generateClient(options: {
  name: string;
  provider: string;
  models: string[];
}): Promise<string>;
