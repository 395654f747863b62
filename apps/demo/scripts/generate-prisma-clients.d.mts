/** The SQL providers the demo generates a Prisma client for. */
export const PROVIDERS: readonly ['sqlite', 'postgresql', 'mysql'];
/** Generates `generated/<provider>/client` from the shipped models unless it is up to date. */
export function generatePrismaClient(provider: (typeof PROVIDERS)[number]): Promise<void>;
