// Starts the demo: `pnpm demo` at the repository root. Settings come from the environment (README.md).
import { isCoatcheckError } from '@coatcheck/core';
import { startDemo } from './app.js';
import { ConfigError, readConfig } from './config.js';
import { StoreUnavailableError } from './stores.js';

try {
  const config = readConfig(process.env);
  const demo = await startDemo(config);
  // Session events, one line each: what an audit log would record.
  demo.sessions.on('*', ({ type, userId, reason, ip }) => {
    console.log(
      `session ${type}${userId ? ` user=${userId}` : ''}${reason ? ` (${reason})` : ''} ip=${ip ?? '-'}`,
    );
  });
  console.log(`Coatcheck demo on ${demo.url} — sessions in ${demo.storeLabel}`);
  console.log('Log in as alice / wonderland or bob / builder. Ctrl+C stops it.');
  const stop = async () => {
    await demo.close();
    process.exit(0);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
} catch (error) {
  // Settings the core refuses (say, an idle timeout longer than the absolute one) are configuration too.
  const invalidOption = isCoatcheckError(error) && error.code === 'INVALID_OPTION';
  if (!(error instanceof ConfigError || error instanceof StoreUnavailableError || invalidOption)) throw error;
  console.error(`\n✖ ${error.message}\n`);
  process.exit(1);
}
