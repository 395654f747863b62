// Child process: serves one contender of one group (`node server.mjs <group> <contender>`), so the load
// generator in the parent never shares its event loop. Talks to the parent over IPC: sends { port } once
// listening, answers 'stats' with its store counters, exits on 'exit' or when the parent goes away.
import { newCounter } from './counters.mjs';

const [group, contender] = process.argv.slice(2);
const config = JSON.parse(process.env.BENCH_CONFIG ?? '{}');
const { contenders } = await import(`./apps/${group}.mjs`);
const counter = newCounter();
const server = await contenders[contender](config, counter);

process.on('message', (message) => {
  if (message === 'stats') process.send({ stats: { ...counter } });
  else if (message === 'exit') process.exit(0);
});
// The parent died (Ctrl-C, a crash): do not outlive it.
process.on('disconnect', () => process.exit(0));
process.send({ port: server.port });
