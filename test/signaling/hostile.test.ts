/** The hostile-input suite (hostile-suite.ts) against a single process holding the legitimate pair itself. */

import { startTestServer } from './helpers.js';
import { describeHostile } from './hostile-suite.js';

describeHostile('hostile input', async (options) => {
  const server = await startTestServer(options);
  return { server, masterServer: server, workerServer: server, pairConnections: 2, close: () => server.close() };
});
