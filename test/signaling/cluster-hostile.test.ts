/**
 * The hostile-input suite (hostile-suite.ts) against node A of a three-node
 * cluster on a real redis-server, while the legitimate pair talks through
 * nodes B and C: whatever A is sent, the other nodes keep serving (and A's
 * own peers still reach them through Redis).
 */
import { startRedis, stopAllRedis } from '../support/redis.js';
import { startNodes } from './cluster-helpers.js';
import { describeHostile } from './hostile-suite.js';

describeHostile('hostile input on one node of a cluster', async (options) => {
  const redis = await startRedis();
  const [a, b, c] = await startNodes(redis.url, 3, options);
  if (!a || !b || !c) throw new Error('three nodes expected');
  return {
    server: a,
    masterServer: b,
    workerServer: c,
    pairConnections: 0,
    close: async () => {
      await Promise.all([a, b, c].map((node) => node.close()));
      await stopAllRedis();
    },
  };
});
