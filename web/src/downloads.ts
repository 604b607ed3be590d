/** The master page's downloads: every result of the run, as CSV or JSON. */

import { parseResult } from '../../shared/example.js';
import type { RunSummary } from './hooks.js';

export interface RunExport {
  room: string;
  tasks: readonly number[];
  results: readonly string[];
  /** Arrival of each result, ms after the run started. */
  arrivals: readonly number[];
  summary: RunSummary | null;
}

function save(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function baseName(data: RunExport): string {
  const stamp = new Date().toISOString().replace(/[:T]/g, '-').replace(/\..*$/, '');
  return `peerproc-${data.room.replace(/[^A-Za-z0-9._-]/g, '_') || 'run'}-${stamp}`;
}

/** CSV text: one row per result, in arrival order. */
export function toCsv(data: RunExport): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = ['index,n,square,result,received_ms'];
  data.results.forEach((text, i) => {
    const parsed = parseResult(text);
    lines.push(
      [
        String(i + 1),
        parsed ? String(parsed.n) : '',
        parsed?.square ?? '',
        quote(text),
        data.arrivals[i].toFixed(1),
      ].join(','),
    );
  });
  return `${lines.join('\n')}\n`;
}

export function toJson(data: RunExport): string {
  return JSON.stringify(
    {
      room: data.room,
      summary: data.summary,
      tasks: data.tasks,
      results: data.results.map((result, i) => ({ index: i + 1, result, receivedMs: Math.round(data.arrivals[i]) })),
    },
    null,
    2,
  );
}

export function downloadCsv(data: RunExport): void {
  save(`${baseName(data)}.csv`, 'text/csv', toCsv(data));
}

/** A job run's results file, as `peerproc master --results` writes it. */
export function downloadJsonLines(room: string, text: string): void {
  save(
    `${baseName({ room, tasks: [], results: [], arrivals: [], summary: null })}.jsonl`,
    'application/x-ndjson',
    text,
  );
}

export function downloadJson(data: RunExport): void {
  save(`${baseName(data)}.json`, 'application/json', toJson(data));
}
