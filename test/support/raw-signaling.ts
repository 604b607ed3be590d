/** A bare signaling client (ws, JSON messages) that a test drives by hand: a peer that does only what it is told. */
import WebSocket from 'ws';

export interface RawSignalingClient {
  /** Resolves with the first message of `type` received (also one that came before the call). */
  nextMessage(type: string): Promise<Record<string, unknown>>;
  send(message: Record<string, unknown>): void;
  /** Closes the socket; resolves once the server has answered the close (it has handled the disconnect). */
  close(code?: number): Promise<void>;
}

/** Connects to `address` (ws://host:port/room) and registers with `role`; resolves once registered. */
export async function rawSignalingClient(address: string, role: 'master' | 'worker'): Promise<RawSignalingClient> {
  const socket = new WebSocket(address);
  const received: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    received.push(JSON.parse(String(data)));
    for (const wake of [...waiters]) wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'register', role }));
  const nextMessage = (type: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        const found = received.find((m) => m.type === type);
        if (found) {
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
      check();
    });
  await nextMessage('registered');
  return {
    nextMessage,
    send: (message) => socket.send(JSON.stringify(message)),
    close: (code) =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close(code);
      }),
  };
}
