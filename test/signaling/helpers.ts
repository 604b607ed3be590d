/**
 * Test helpers: a server on 127.0.0.1 port 0 with a silent logger, and a ws
 * client that queues what it receives so tests can await messages in order.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type ClientOptions, WebSocket } from 'ws';
import type { Role, ServerMessage } from '../../shared/signaling/protocol.js';
import type { SignalingOptions } from '../../signaling/config.js';
import { type SignalingServer, startSignalingServer } from '../../signaling/server.js';

/** Safety net so a broken test fails with a message instead of hanging until Vitest's timeout. */
export const WAIT_LIMIT_MS = 5_000;

export const silentLogger = pino({ level: 'silent' });

export function startTestServer(options: Partial<SignalingOptions> = {}): Promise<SignalingServer> {
  return startSignalingServer({ host: '127.0.0.1', port: 0, logger: silentLogger, ...options });
}

/** A pino logger writing into memory, and the text written so far. */
export function memoryLogger(level: 'debug' | 'info' = 'debug') {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level }, stream), text: () => chunks.join('') };
}

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;
  private readonly queue: ServerMessage[] = [];
  private waiter: ((message: ServerMessage | undefined) => void) | undefined;
  private isClosed = false;

  constructor(url: string, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (this.waiter) {
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter(message);
      } else {
        this.queue.push(message);
      }
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    // Refused connections are an expected outcome in many tests; callers that care await `opened`.
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.isClosed = true;
        this.waiter?.(undefined);
        this.waiter = undefined;
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  static async connect(url: string, options: ClientOptions = {}): Promise<TestClient> {
    const client = new TestClient(url, options);
    await client.opened;
    return client;
  }

  /** Connects and registers; returns the client and its `registered` reply. */
  static async register(server: SignalingServer, room: string, role: Role, id?: string) {
    const client = await TestClient.connect(server.wsUrl(room));
    const registered = await client.request({ type: 'register', role, ...(id ? { id } : {}) });
    if (registered.type !== 'registered') throw new Error(`expected registered, got ${JSON.stringify(registered)}`);
    return { client, registered, id: registered.id };
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  async request(message: unknown): Promise<ServerMessage> {
    this.send(message);
    return this.next();
  }

  /** The next message; rejects if the socket closes first or nothing comes within WAIT_LIMIT_MS. */
  next(): Promise<ServerMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.isClosed) return Promise.reject(new Error('socket closed, no message left'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message within ${WAIT_LIMIT_MS} ms`));
      }, WAIT_LIMIT_MS);
      this.waiter = (message) => {
        clearTimeout(timer);
        if (message) resolve(message);
        else reject(new Error('socket closed, no message left'));
      };
    });
  }

  /** Messages received so far and not yet consumed. */
  pending(): readonly ServerMessage[] {
    return this.queue;
  }

  /** The next message, which must be an error; returns its code. */
  async nextError(): Promise<string> {
    const message = await this.next();
    if (message.type !== 'error') throw new Error(`expected an error, got ${JSON.stringify(message)}`);
    return message.code;
  }

  async close(): Promise<void> {
    if (!this.isClosed) this.ws.close();
    await this.closed;
  }
}

/** Resolves when `predicate` holds, polling; rejects after WAIT_LIMIT_MS. */
export async function eventually(predicate: () => boolean, what: string): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > WAIT_LIMIT_MS) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
