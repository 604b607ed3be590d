/**
 * Counters the server keeps, the `SignalingStats` snapshot `stats()` returns,
 * and its rendering in the Prometheus text exposition format (version 0.0.4),
 * written by hand: a dozen series do not justify a dependency.
 */
import { SIGNALING_ERROR_CODES, type SignalingErrorCode } from '../shared/signaling/protocol.js';
import type { ClusterStats } from './directory.js';

/** Why the server dropped a connection without a protocol error message. */
export const TERMINATION_REASONS = ['heartbeat', 'slow_consumer', 'idle'] as const;
export type TerminationReason = (typeof TERMINATION_REASONS)[number];

/** Mutable counters, owned by the server and bumped by connections and handlers. */
export class SignalingCounters {
  connectionsAccepted = 0;
  /** Upgrades refused before any WebSocket existed (server full or shutting down). */
  upgradesRefused = 0;
  messagesReceived = 0;
  messagesRelayed = 0;
  pairings = 0;
  readonly rejected = Object.fromEntries(SIGNALING_ERROR_CODES.map((code) => [code, 0])) as Record<
    SignalingErrorCode,
    number
  >;
  readonly terminated = Object.fromEntries(TERMINATION_REASONS.map((reason) => [reason, 0])) as Record<
    TerminationReason,
    number
  >;
}

export interface SignalingStats {
  /** Open WebSocket connections, registered or not. */
  readonly connections: number;
  readonly rooms: number;
  readonly masters: number;
  readonly workers: number;
  readonly connectionsAccepted: number;
  readonly upgradesRefused: number;
  readonly messagesReceived: number;
  readonly messagesRelayed: number;
  /** master/worker pairs introduced to each other (`peer` + `master` messages). */
  readonly pairings: number;
  /** Error messages sent, by code. */
  readonly rejected: Readonly<Record<SignalingErrorCode, number>>;
  /** Connections dropped by the server, by reason. */
  readonly terminated: Readonly<Record<TerminationReason, number>>;
  readonly uptimeSeconds: number;
  /** Cluster mode only (`redis` set); rooms, masters and workers above are then this node's. */
  readonly cluster?: ClusterStats | undefined;
}

const PREFIX = 'peerproc_signaling_';

type Sample = [labels: string, value: number];

function family(lines: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
}

/** The /metrics body: server figures, then the usual process figures (names as prom-client's defaults). */
export function renderMetrics(stats: SignalingStats): string {
  const lines: string[] = [];
  const one = (name: string, type: 'gauge' | 'counter', help: string, value: number) =>
    family(lines, PREFIX + name, type, help, [['', value]]);
  one('connections', 'gauge', 'Open WebSocket connections.', stats.connections);
  one('rooms', 'gauge', 'Rooms with at least one registered peer.', stats.rooms);
  one('masters', 'gauge', 'Registered masters.', stats.masters);
  one('workers', 'gauge', 'Registered workers.', stats.workers);
  one('connections_accepted_total', 'counter', 'WebSocket connections accepted.', stats.connectionsAccepted);
  one('upgrades_refused_total', 'counter', 'Upgrades refused (server full or stopping).', stats.upgradesRefused);
  one('messages_received_total', 'counter', 'Frames received from clients.', stats.messagesReceived);
  one('messages_relayed_total', 'counter', 'Signals relayed between a master and a worker.', stats.messagesRelayed);
  one('pairings_total', 'counter', 'Master/worker pairs introduced.', stats.pairings);
  family(
    lines,
    `${PREFIX}messages_rejected_total`,
    'counter',
    'Error messages sent to clients, by code.',
    SIGNALING_ERROR_CODES.map((code) => [`{reason="${code}"}`, stats.rejected[code]]),
  );
  family(
    lines,
    `${PREFIX}connections_terminated_total`,
    'counter',
    'Connections dropped by the server, by reason.',
    TERMINATION_REASONS.map((reason) => [`{reason="${reason}"}`, stats.terminated[reason]]),
  );
  one('uptime_seconds', 'gauge', 'Seconds since the server started.', stats.uptimeSeconds);
  if (stats.cluster) renderCluster(stats.cluster, one);

  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  const plain = (name: string, type: 'gauge' | 'counter', help: string, value: number) =>
    family(lines, name, type, help, [['', value]]);
  plain('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', memory.rss);
  plain('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used in bytes.', memory.heapUsed);
  plain('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap size in bytes.', memory.heapTotal);
  plain('nodejs_external_memory_bytes', 'gauge', 'Memory of C++ objects bound to JS objects.', memory.external);
  plain('process_cpu_seconds_total', 'counter', 'User and system CPU time in seconds.', (cpu.user + cpu.system) / 1e6);
  plain('process_uptime_seconds', 'gauge', 'Seconds since the process started.', process.uptime());
  return `${lines.join('\n')}\n`;
}

/** The cluster families: only a node started with `redis` has them, so a single process's /metrics is unchanged. */
function renderCluster(
  cluster: ClusterStats,
  one: (name: string, type: 'gauge' | 'counter', help: string, value: number) => void,
): void {
  one('cluster_redis_up', 'gauge', '1 while this node reaches Redis and holds its presence there.', +cluster.redisUp);
  one('cluster_nodes', 'gauge', 'Live signaling nodes at the last presence refresh.', cluster.nodes);
  one(
    'cluster_messages_out_total',
    'counter',
    'Messages sent to peers on other nodes (pairings, departures, signals).',
    cluster.messagesOut,
  );
  one('cluster_messages_in_total', 'counter', 'Messages from other nodes delivered here.', cluster.messagesIn);
  one('cluster_redis_errors_total', 'counter', 'Failed Redis commands and connection errors.', cluster.redisErrors);
  one(
    'cluster_redis_latency_seconds',
    'gauge',
    'Round trip of the last presence refresh.',
    cluster.redisLatencySeconds,
  );
  one('cluster_redis_lost_total', 'counter', 'Times this node lost Redis and dropped its peers.', cluster.redisLost);
  one(
    'cluster_nodes_expired_total',
    'counter',
    'Dead nodes whose peers this node removed from the rooms.',
    cluster.nodesExpired,
  );
}
