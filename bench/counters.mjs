// Counting a contender's store traffic at its client, the same way for both contenders of a group.
// `commands` are the requests sent to the store; `roundTrips` the waits for it. They differ only where
// commands go out together (an ioredis pipeline or MULTI), which count as one round trip.

export const newCounter = () => ({ commands: 0, roundTrips: 0 });

/**
 * Wraps ioredis' `sendCommand`, which every command (Lua scripts, pipelines, MULTI) goes through.
 * Commands sent in one synchronous run (a pipeline's `exec()` writes them together) are one round trip;
 * that grouping is exact when requests run one at a time, which is how the harness measures it.
 */
export function countIoredis(client, counter) {
  const send = client.sendCommand.bind(client);
  let inBatch = false;
  client.sendCommand = (command, stream) => {
    counter.commands++;
    if (!inBatch) {
      inBatch = true;
      counter.roundTrips++;
      queueMicrotask(() => {
        inBatch = false;
      });
    }
    return send(command, stream);
  };
}

/** The driver's command monitoring (`monitorCommands: true`): each command is one request and reply. */
export function countMongo(client, counter) {
  client.on('commandStarted', () => {
    counter.commands++;
    counter.roundTrips++;
  });
}

/** Every query of every connection of a pg pool (BEGIN and COMMIT included): one round trip each. */
export function countPg(pool, counter) {
  pool.on('connect', (connection) => {
    const query = connection.query.bind(connection);
    connection.query = (...args) => {
      counter.commands++;
      counter.roundTrips++;
      return query(...args);
    };
  });
}
