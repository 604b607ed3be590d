/** Number and time formatting for the pages (tabular, locale-aware, never NaN on screen). */
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return Number.isFinite(n) ? integer.format(n) : '–';
}

/** Rates: one decimal below 100/s, whole numbers above. */
export function formatRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return '–';
  return perSecond < 100 ? oneDecimal.format(perSecond) : integer.format(perSecond);
}

/** 850 ms, 4.2 s, 3 min 05 s, 1 h 02 min. */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${oneDecimal.format(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  return `${Math.round(fraction * 100)}%`;
}

export function clockTime(date = new Date()): string {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** First characters of a peer id: enough to tell workers apart. */
export function shortPeer(peer: string): string {
  return peer.slice(0, 8);
}

/** What a worker runs, for people: "Browser", "Node". */
export function agentLabel(agent: string): string {
  if (agent === 'browser') return 'Browser';
  if (agent === 'node-datachannel' || agent === 'wrtc') return 'Node';
  if (agent === 'unknown') return '…';
  return agent;
}
