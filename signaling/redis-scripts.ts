/**
 * The cluster's shared state in Redis, and the Lua scripts that change it.
 * Each script runs atomically in Redis, so two nodes can never both give a
 * room to a master, or both let the 1,001st peer in.
 *
 * Keys (PREFIX = "peerproc:"):
 *   PREFIX nodes            sorted set: node id -> time its presence expires (ms, Redis clock)
 *   PREFIX rooms            set of room names with at least one peer (for maxRooms)
 *   PREFIX room:<room>      hash: "m" -> "<node> <peer>" (the master); "w:<peer>" -> "<node>" (each worker)
 *   PREFIX node:<node>      set of "<m|w> <room> <peer>": what that node registered, to clean up after it
 * Channel PREFIX to:<node> carries messages for that node's peers.
 *
 * Room names and peer ids never contain spaces or newlines (ROOM_PATTERN,
 * PEER_ID_PATTERN), so they are joined with spaces here. The scripts compute
 * their keys from the prefix, so they need one Redis (standalone, or a
 * primary with replicas), not Redis Cluster.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export const KEY_PREFIX = 'peerproc:';

export function nodeChannel(node: string): string {
  return `${KEY_PREFIX}to:${node}`;
}

export function roomKey(room: string): string {
  return `${KEY_PREFIX}room:${room}`;
}

/** Helpers every script starts with. ARGV[1] is always the key prefix. */
const PRELUDE = `
local P = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function alive(node, now)
  local expires = redis.call('ZSCORE', P .. 'nodes', node)
  return expires and tonumber(expires) > now
end
local function split(value)
  local space = string.find(value, ' ', 1, true)
  return string.sub(value, 1, space - 1), string.sub(value, space + 1)
end
-- Every worker of a room as {peer, node, peer, node, ...}.
local function workers_of(key)
  local out = {}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if all[i] ~= 'm' then
      out[#out + 1] = string.sub(all[i], 3)
      out[#out + 1] = all[i + 1]
    end
  end
  return out
end
-- Removes a member if \`node\` still holds it. Returns whom to tell as {peer, node, ...}, or nil if it was not there.
local function remove(role, room, peer, node)
  local key = P .. 'room:' .. room
  local removed = false
  if role == 'm' then
    if redis.call('HGET', key, 'm') == node .. ' ' .. peer then
      redis.call('HDEL', key, 'm')
      removed = true
    end
  elseif redis.call('HGET', key, 'w:' .. peer) == node then
    redis.call('HDEL', key, 'w:' .. peer)
    removed = true
  end
  redis.call('SREM', P .. 'node:' .. node, role .. ' ' .. room .. ' ' .. peer)
  if not removed then return nil end
  local tell = {}
  if role == 'm' then
    tell = workers_of(key)
  else
    local master = redis.call('HGET', key, 'm')
    if master then
      local mnode, mpeer = split(master)
      tell = {mpeer, mnode}
    end
  end
  if redis.call('HLEN', key) == 0 then
    redis.call('DEL', key)
    redis.call('SREM', P .. 'rooms', room)
  end
  return tell
end
-- Removes everything \`node\` registered; appends {role, room, peer, tell} per removed member to \`out\`.
local function purge(node, out)
  local members = redis.call('SMEMBERS', P .. 'node:' .. node)
  for _, entry in ipairs(members) do
    local role, rest = split(entry)
    local room, peer = split(rest)
    local tell = remove(role, room, peer, node)
    if tell then out[#out + 1] = {role, room, peer, tell} end
  end
  redis.call('DEL', P .. 'node:' .. node)
end
`;

/**
 * join(prefix, role m|w, room, peer, node, maxRooms, maxPeersPerRoom)
 * -> {"OK", peer, node, ...counterparts} | {refusal code} | {"NODE_EXPIRED"}
 * Checks in the single-process order: rooms, the address (a live master), the id, the room's size. A master
 * whose node is dead but not yet swept gives its room up at once.
 */
const JOIN = `${PRELUDE}
local role, room, peer, node = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = P .. 'room:' .. room
local now = now_ms()
if not alive(node, now) then return {'NODE_EXPIRED'} end
if redis.call('EXISTS', key) == 0 and redis.call('SCARD', P .. 'rooms') >= tonumber(ARGV[6]) then
  return {'TOO_MANY_ROOMS'}
end
local master = redis.call('HGET', key, 'm')
local mnode, mpeer
if master then
  mnode, mpeer = split(master)
  if role == 'm' then
    if alive(mnode, now) then return {'ADDRESS_IN_USE'} end
    remove('m', room, mpeer, mnode)
    master = false
  elseif mpeer == peer then
    return {'DUPLICATE_ID'}
  end
end
if redis.call('HEXISTS', key, 'w:' .. peer) == 1 then return {'DUPLICATE_ID'} end
if redis.call('HLEN', key) >= tonumber(ARGV[7]) then return {'ROOM_FULL'} end
if role == 'm' then
  redis.call('HSET', key, 'm', node .. ' ' .. peer)
else
  redis.call('HSET', key, 'w:' .. peer, node)
end
redis.call('SADD', P .. 'rooms', room)
redis.call('SADD', P .. 'node:' .. node, role .. ' ' .. room .. ' ' .. peer)
local out = {'OK'}
if role == 'm' then
  for _, value in ipairs(workers_of(key)) do out[#out + 1] = value end
elseif master then
  out[#out + 1] = mpeer
  out[#out + 1] = mnode
end
return out
`;

/** leave(prefix, role, room, peer, node) -> {peer, node, ...} to tell (empty if the member was not there). */
const LEAVE = `${PRELUDE}
return remove(ARGV[2], ARGV[3], ARGV[4], ARGV[5]) or {}
`;

/**
 * relay(prefix, room, m|w, to, payload) -> 1 if published to the node holding \`to\` as the room's master (m)
 * or as one of its workers (w), 0 if there is no such peer. Lookup and publish in one round trip, in order
 * with this node's other commands.
 */
const RELAY = `${PRELUDE}
local key = P .. 'room:' .. ARGV[2]
local target
if ARGV[3] == 'm' then
  local master = redis.call('HGET', key, 'm')
  if not master then return 0 end
  local mnode, mpeer = split(master)
  if mpeer ~= ARGV[4] then return 0 end
  target = mnode
else
  target = redis.call('HGET', key, 'w:' .. ARGV[4])
  if not target then return 0 end
end
redis.call('PUBLISH', P .. 'to:' .. target, ARGV[5])
return 1
`;

/**
 * heartbeat(prefix, node, ttlMs, mustBeAlive 1|0) -> {1, live nodes} or {0, 0} when \`mustBeAlive\` and the node's
 * presence has expired or is gone (other nodes may have removed its peers: it must start over).
 */
const HEARTBEAT = `${PRELUDE}
local now = now_ms()
if ARGV[4] == '1' and not alive(ARGV[2], now) then return {0, 0} end
redis.call('ZADD', P .. 'nodes', now + tonumber(ARGV[3]), ARGV[2])
return {1, redis.call('ZCOUNT', P .. 'nodes', '(' .. now, '+inf')}
`;

/** sweep(prefix, maxNodes) -> {expired nodes, {{role, room, peer, tell}, ...}}: removes dead nodes' peers. */
const SWEEP = `${PRELUDE}
local now = now_ms()
local dead = redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, node in ipairs(dead) do
  purge(node, out)
  redis.call('ZREM', P .. 'nodes', node)
end
return {#dead, out}
`;

/** purge(prefix, node) -> {{role, room, peer, tell}, ...}: a node starting over removes what it left behind. */
const PURGE = `${PRELUDE}
local out = {}
purge(ARGV[2], out)
redis.call('ZREM', P .. 'nodes', ARGV[2])
return out
`;

export class RedisScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** EVALSHA; EVAL if Redis lost its script cache (loaded again on every reconnect, so this is rare). */
  async run(redis: Redis, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, 0, KEY_PREFIX, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.lua, 0, KEY_PREFIX, ...args);
    }
  }
}

export const SCRIPTS = {
  join: new RedisScript('join', JOIN),
  leave: new RedisScript('leave', LEAVE),
  relay: new RedisScript('relay', RELAY),
  heartbeat: new RedisScript('heartbeat', HEARTBEAT),
  sweep: new RedisScript('sweep', SWEEP),
  purge: new RedisScript('purge', PURGE),
} as const;

/** A removed member and whom to tell ({peer, node, ...}), as the sweep and purge scripts return them. */
export type Departure = [role: string, room: string, peer: string, tell: string[]];

/** A script's array of bulk strings (anything else, defensively, as nothing). */
export function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.filter((item): item is string => typeof item === 'string') : [];
}

export function departures(reply: unknown): Departure[] {
  if (!Array.isArray(reply)) return [];
  const out: Departure[] = [];
  for (const record of reply) {
    if (!Array.isArray(record) || record.length !== 4) continue;
    const [role, room, peer, tell] = record;
    if (typeof role === 'string' && typeof room === 'string' && typeof peer === 'string') {
      out.push([role, room, peer, strings(tell)]);
    }
  }
  return out;
}
