/**
 * The cluster's room directory: rooms live in Redis, shared by every node
 * started with the same Redis URL; each node keeps only its own peers in
 * memory. Messages for a peer on another node go through Redis pub/sub to
 * that node's channel (see cluster-envelope.ts); the state changes are the
 * Lua scripts of redis-scripts.ts.
 *
 * Presence: every node refreshes its entry in `nodes` every fifth of the
 * presence TTL and sweeps entries that expired, removing the dead node's
 * peers from their rooms and telling their counterparts (`master-left`,
 * `peer-left`). So a node that dies frees its masters' rooms within the TTL
 * (at once when the master registers again before the sweep: the join script
 * takes a room from a dead node's master), plus at most one refresh period
 * for the sweep.
 *
 * Losing Redis (either connection, or finding its own presence expired) the
 * node drops every registered peer with UNAVAILABLE (they reconnect, to
 * another node if they know one) and refuses registrations; once Redis is
 * back it removes whatever it had left there and starts over. Established
 * WebRTC links never depend on signaling, so running work goes on.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { PEER_ID_PATTERN } from '../shared/signaling/protocol.js';
import { decodeEnvelope, encodeEnvelope } from './cluster-envelope.js';
import type {
  ClusterStats,
  DeliveryOutcome,
  JoinOutcome,
  PeerHandle,
  RoomDirectory,
  SignalTarget,
} from './directory.js';
import { deliverTo, localCounterpart } from './memory-directory.js';
import { RedisLink } from './redis-link.js';
import { type Departure, departures, nodeChannel, roomKey, SCRIPTS, strings } from './redis-scripts.js';
import { type JoinRefusal, type Room, type RoomMember, RoomRegistry } from './rooms.js';

/** Presence is refreshed (and dead nodes swept) this many times per TTL: four refreshes may fail before it expires. */
export const REFRESHES_PER_TTL = 5;
/** Dead nodes removed per sweep; more wait for the next refresh (each one may hold thousands of peers). */
const SWEEP_BATCH = 10;
/** After a failed start-over (Redis loading, a command timing out), the next try comes this much later. */
const RECOVER_RETRY_MS = 500;
/** The most a graceful close waits for Redis to take this node's rooms back. */
const CLOSE_BUDGET_MS = 2_000;
/** Random bytes in a node id (hex in keys and channels). */
const NODE_ID_BYTES = 8;

const REFUSALS: ReadonlySet<string> = new Set<JoinRefusal>([
  'ADDRESS_IN_USE',
  'DUPLICATE_ID',
  'ROOM_FULL',
  'TOO_MANY_ROOMS',
]);
const UNAVAILABLE: JoinOutcome = { ok: false, code: 'UNAVAILABLE' };
/** The local registry only mirrors this node's peers; the cluster's limits are checked in Redis. */
const NO_LOCAL_LIMITS = { maxRooms: Number.MAX_SAFE_INTEGER, maxPeersPerRoom: Number.MAX_SAFE_INTEGER };

export interface RedisDirectoryOptions {
  readonly url: string;
  readonly presenceTtlMs: number;
  readonly maxRooms: number;
  readonly maxPeersPerRoom: number;
  readonly maxMessageBytes: number;
  readonly log: Logger;
  /** This node lost Redis, or was taken for dead: its registered peers must be dropped (they reconnect). */
  readonly onLost: (reason: string) => void;
}

type State = 'down' | 'recovering' | 'up';

export class RedisDirectory implements RoomDirectory {
  readonly node = randomBytes(NODE_ID_BYTES).toString('hex');
  private link!: RedisLink;
  private local = new RoomRegistry(NO_LOCAL_LIMITS);
  private state: State = 'down';
  /** Bumped at every loss: answers to commands sent before it are stale. */
  private epoch = 0;
  private lastRefreshAt = 0;
  private ticking = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Leaves still waiting for Redis: a graceful close lets them finish, so their counterparts hear of them. */
  private readonly leaving = new Set<Promise<unknown>>();
  /** Cluster-wide worker counts of the rooms this node's masters serve (refreshed with the presence). */
  private readonly workerCounts = new Map<string, number>();
  private readonly figures = {
    nodes: 0,
    messagesOut: 0,
    messagesIn: 0,
    redisErrors: 0,
    redisLatencySeconds: 0,
    nodesExpired: 0,
    redisLost: 0,
  };
  private readonly log: Logger;

  private constructor(private readonly options: RedisDirectoryOptions) {
    this.log = options.log.child({ node: this.node });
  }

  /** Connects, registers this node's presence and starts refreshing it; RedisUnavailableError if Redis is not there. */
  static async start(options: RedisDirectoryOptions): Promise<RedisDirectory> {
    const directory = new RedisDirectory(options);
    directory.link = await RedisLink.open(options.url, directory.log, {
      onMessage: (payload) => directory.onEnvelope(payload),
      onReady: () => void directory.recover(),
      onLost: (reason) => directory.lose(reason),
      onError: () => {
        directory.figures.redisErrors += 1;
      },
    });
    try {
      await directory.startOver();
    } catch (err) {
      directory.link.close();
      throw err;
    }
    directory.timer = setInterval(
      () => void directory.tick(),
      Math.max(1, Math.round(options.presenceTtlMs / REFRESHES_PER_TTL)),
    );
    directory.log.info({ redis: directory.link.shownUrl, presenceTtlMs: options.presenceTtlMs }, 'cluster node up');
    return directory;
  }

  join(name: string, member: RoomMember): JoinOutcome | Promise<JoinOutcome> {
    if (this.state !== 'up') return UNAVAILABLE;
    const epoch = this.epoch;
    const { maxRooms, maxPeersPerRoom } = this.options;
    const role = member.role === 'master' ? 'm' : 'w';
    return SCRIPTS.join.run(this.link.commands, [role, name, member.id, this.node, maxRooms, maxPeersPerRoom]).then(
      (reply) => {
        const [status = '', ...pairs] = strings(reply);
        if (epoch !== this.epoch) return UNAVAILABLE; // purged when this node started over
        if (status === 'NODE_EXPIRED') {
          this.lose('this node found its presence expired (taken for dead by the others)');
          return UNAVAILABLE;
        }
        if (status !== 'OK') return REFUSALS.has(status) ? { ok: false, code: status as JoinRefusal } : UNAVAILABLE;
        // Cannot be refused: the local registry has no limits and Redis checked the id across the cluster.
        this.local.join(name, member);
        if (member.role === 'master') this.workerCounts.set(name, pairs.length / 2);
        return { ok: true, counterparts: this.handles(name, pairs) };
      },
      (err: unknown) => {
        this.commandFailed(err, 'join');
        return UNAVAILABLE;
      },
    );
  }

  leave(name: string, member: RoomMember): readonly PeerHandle[] | Promise<readonly PeerHandle[]> {
    const room = this.local.leave(name, member);
    // Not here: dropped when this node lost Redis, and removed there when it started over.
    if (!room) return [];
    if (member.role === 'master') this.workerCounts.delete(name);
    if (this.state !== 'up') return localCounterparts(room, member);
    const role = member.role === 'master' ? 'm' : 'w';
    const left = SCRIPTS.leave.run(this.link.commands, [role, name, member.id, this.node]).then(
      (reply) => this.handles(name, strings(reply)),
      (err: unknown) => {
        this.commandFailed(err, 'leave');
        return localCounterparts(room, member);
      },
    );
    this.leaving.add(left);
    void left.finally(() => this.leaving.delete(left));
    return left;
  }

  signalTarget(name: string, sender: RoomMember, to: string): SignalTarget | undefined {
    const local = localCounterpart(this.local, name, sender, to);
    if (local) return deliverTo(local);
    // A room's master on this node is the cluster's; ids that cannot exist need no question to Redis.
    if (sender.role === 'worker' && this.local.get(name)?.master) return undefined;
    if (!PEER_ID_PATTERN.test(to)) return undefined;
    const kind = sender.role === 'worker' ? 'm' : 'w';
    return { deliver: (text) => this.relay(name, kind, to, text) };
  }

  workerCount(name: string): number {
    return this.workerCounts.get(name) ?? this.local.get(name)?.workers.size ?? 0;
  }

  get roomCount(): number {
    return this.local.roomCount;
  }

  get masters(): number {
    return this.local.masters;
  }

  get workers(): number {
    return this.local.workers;
  }

  clusterStats(): ClusterStats {
    return { node: this.node, redisUp: this.state === 'up', ...this.figures };
  }

  /** Gives this node's rooms back at once (instead of after the TTL) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    if (this.state === 'up') {
      const giveBack = Promise.allSettled([...this.leaving]).then(() =>
        SCRIPTS.purge.run(this.link.commands, [this.node]).then(
          (reply) => this.tellDepartures(departures(reply)),
          (err: unknown) => this.commandFailed(err, 'close'),
        ),
      );
      await Promise.race([giveBack, new Promise((resolve) => setTimeout(resolve, CLOSE_BUDGET_MS).unref())]);
    }
    this.state = 'down';
    this.link.close();
  }

  private relay(room: string, kind: 'm' | 'w', to: string, text: string): DeliveryOutcome | Promise<DeliveryOutcome> {
    if (this.state !== 'up') return 'failed';
    return SCRIPTS.relay.run(this.link.commands, [room, kind, to, encodeEnvelope(room, to, text)]).then(
      (published): DeliveryOutcome => {
        if (published !== 1) return 'unknown-peer';
        this.figures.messagesOut += 1;
        return 'delivered';
      },
      (err: unknown): DeliveryOutcome => {
        this.commandFailed(err, 'relay');
        return 'failed';
      },
    );
  }

  /** `[peer, node, ...]` from a script as handles: this node's own peers directly, the others through Redis. */
  private handles(room: string, pairs: readonly string[]): PeerHandle[] {
    const handles: PeerHandle[] = [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const id = pairs[i] as string;
      const node = pairs[i + 1] as string;
      if (node !== this.node) {
        handles.push({ id, send: (message) => this.publish(node, room, id, JSON.stringify(message)) });
        continue;
      }
      const member = this.localMember(room, id);
      if (member) handles.push(member);
    }
    return handles;
  }

  private localMember(room: string, id: string): RoomMember | undefined {
    const found = this.local.get(room);
    return found?.master?.id === id ? found.master : found?.workers.get(id);
  }

  private publish(node: string, room: string, to: string, text: string): void {
    if (this.state !== 'up') return;
    this.figures.messagesOut += 1;
    this.link.commands
      .publish(nodeChannel(node), encodeEnvelope(room, to, text))
      .catch((err: unknown) => this.commandFailed(err, 'publish'));
  }

  /** A message from another node for one of this node's peers. */
  private onEnvelope(payload: string): void {
    const envelope = decodeEnvelope(payload, 2 * this.options.maxMessageBytes + 1024);
    if (!envelope) {
      this.log.warn({ chars: payload.length }, 'malformed message from the cluster dropped');
      return;
    }
    const member = this.localMember(envelope.room, envelope.to);
    if (!member) return; // gone meanwhile
    this.figures.messagesIn += 1;
    member.sendText(envelope.text);
  }

  /** Presence refresh, then the sweep of dead nodes and the worker counts; one at a time. */
  private async tick(): Promise<void> {
    if (this.state !== 'up' || this.ticking) return;
    this.ticking = true;
    try {
      await this.refresh();
      if (this.state === 'up') await this.sweep();
      if (this.state === 'up') await this.countWorkers();
    } finally {
      this.ticking = false;
    }
  }

  private async refresh(): Promise<void> {
    const epoch = this.epoch;
    let alive: boolean;
    try {
      alive = await this.heartbeat(true);
    } catch (err) {
      this.commandFailed(err, 'presence');
      if (performance.now() - this.lastRefreshAt > this.options.presenceTtlMs) {
        this.lose(`could not refresh this node's presence for ${this.options.presenceTtlMs} ms`);
      }
      return;
    }
    if (epoch !== this.epoch) return;
    if (!alive) this.lose('this node found its presence expired (taken for dead by the others)');
  }

  /** Writes this node's presence; false when `mustBeAlive` and it had expired. */
  private async heartbeat(mustBeAlive: boolean): Promise<boolean> {
    const started = performance.now();
    const reply = await SCRIPTS.heartbeat.run(this.link.commands, [
      this.node,
      this.options.presenceTtlMs,
      mustBeAlive ? 1 : 0,
    ]);
    const [alive, nodes] = Array.isArray(reply) ? reply : [];
    if (alive !== 1) return false;
    this.lastRefreshAt = performance.now();
    this.figures.redisLatencySeconds = (this.lastRefreshAt - started) / 1000;
    this.figures.nodes = typeof nodes === 'number' ? nodes : 0;
    return true;
  }

  private async sweep(): Promise<void> {
    try {
      const reply = await SCRIPTS.sweep.run(this.link.commands, [SWEEP_BATCH]);
      const [expired, records] = Array.isArray(reply) ? reply : [];
      if (typeof expired !== 'number' || expired === 0) return;
      this.figures.nodesExpired += expired;
      const removed = departures(records);
      this.log.info({ nodes: expired, peers: removed.length }, 'removed the peers of dead nodes');
      this.tellDepartures(removed);
    } catch (err) {
      this.commandFailed(err, 'sweep');
    }
  }

  private async countWorkers(): Promise<void> {
    const rooms = [...this.workerCounts.keys()];
    if (rooms.length === 0) return;
    try {
      const sizes = await Promise.all(rooms.map((room) => this.link.commands.hlen(roomKey(room))));
      rooms.forEach((room, i) => {
        // The hash holds the master too.
        if (this.workerCounts.has(room)) this.workerCounts.set(room, Math.max(0, (sizes[i] ?? 1) - 1));
      });
    } catch (err) {
      this.commandFailed(err, 'count');
    }
  }

  private tellDepartures(removed: readonly Departure[]): void {
    for (const [role, room, peer, tell] of removed) {
      const text = JSON.stringify({ type: role === 'm' ? 'master-left' : 'peer-left', peer });
      for (let i = 0; i + 1 < tell.length; i += 2) {
        const to = tell[i] as string;
        const node = tell[i + 1] as string;
        if (node === this.node) this.localMember(room, to)?.sendText(text);
        else this.publish(node, room, to, text);
      }
    }
  }

  /** Lost Redis or found itself taken for dead: drop every peer, refuse new ones, start over when possible. */
  private lose(reason: string): void {
    if (this.state === 'down' || this.closed) return;
    this.state = 'down';
    this.epoch += 1;
    this.figures.redisLost += 1;
    this.local = new RoomRegistry(NO_LOCAL_LIMITS);
    this.workerCounts.clear();
    this.log.warn({ reason }, 'cluster state lost; dropping this node’s peers until Redis is back');
    this.options.onLost(reason);
    if (this.link.up) void this.recover();
  }

  /** Back from a loss (connections ready again, or still there after an expiry). */
  private async recover(): Promise<void> {
    if (this.state !== 'down' || this.closed) return;
    try {
      await this.startOver();
      this.log.info('cluster node up again');
    } catch (err) {
      this.commandFailed(err, 'start over');
      if (this.link.up && !this.closed) {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => void this.recover(), RECOVER_RETRY_MS);
      }
    }
  }

  /** Subscribes, loads the scripts, removes what this node left in Redis, then joins the cluster. */
  private async startOver(): Promise<void> {
    this.state = 'recovering';
    try {
      await this.link.subscribe(nodeChannel(this.node));
      await Promise.all(Object.values(SCRIPTS).map((script) => this.link.commands.script('LOAD', script.lua)));
      const leftovers = departures(await SCRIPTS.purge.run(this.link.commands, [this.node]));
      await this.heartbeat(false);
      this.state = 'up';
      this.tellDepartures(leftovers);
    } catch (err) {
      this.state = 'down';
      throw err;
    }
  }

  private commandFailed(err: unknown, what: string): void {
    this.figures.redisErrors += 1;
    this.log.debug({ error: err instanceof Error ? err.message : String(err), what }, 'redis command failed');
  }
}

function localCounterparts(room: Room, member: RoomMember): PeerHandle[] {
  if (member.role === 'master') return [...room.workers.values()];
  return room.master ? [room.master] : [];
}
