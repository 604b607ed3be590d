/**
 * The results model: rows of the side-by-side table (each a peerproc figure,
 * the CPython figure when there is one, their ratio and the target),
 * kept as plain data for the JSON file and rendered as a Markdown table.
 */
import type { Summary } from './stats.js';

/** A measured figure (median and spread of the repeats), or why there is none. */
export type Cell = Summary | { na: string };

export interface Row {
  /** Stable key for comparing runs (`tasks_per_s_w1`). */
  id: string;
  measure: string;
  unit: string;
  peerproc: Cell;
  cpython: Cell | null;
  /** peerproc median / CPython median. */
  ratio: number | null;
  /** The target, in words (`≥ 20× CPython`). */
  target: string | null;
  /** Whether the target is met; null when there is no target or no figure. */
  met: boolean | null;
}

export function isSummary(cell: Cell | null | undefined): cell is Summary {
  return !!cell && 'median' in cell;
}

export function cellOf(summary: Summary | undefined, missing: string): Cell {
  return summary ?? { na: missing };
}

export interface RowInput {
  id: string;
  measure: string;
  unit: string;
  peerproc: Cell;
  cpython?: Cell | null;
  /** The CPython figure is context, not the same measure: no ratio. */
  noRatio?: boolean;
  /** `check` says null when it cannot tell (the baseline it compares with is missing). */
  target?: { text: string; check: (peerproc: number, ratio: number | null) => boolean | null };
}

export function row(input: RowInput): Row {
  const p = isSummary(input.peerproc) ? input.peerproc.median : undefined;
  const c = isSummary(input.cpython) ? input.cpython.median : undefined;
  const ratio = !input.noRatio && p !== undefined && c !== undefined && c !== 0 ? p / c : null;
  let met: boolean | null = null;
  if (input.target && p !== undefined) met = input.target.check(p, ratio);
  return {
    id: input.id,
    measure: input.measure,
    unit: input.unit,
    peerproc: input.peerproc,
    cpython: input.cpython ?? null,
    ratio,
    target: input.target?.text ?? null,
    met,
  };
}

/** Digits that suit the magnitude: 126,027 · 72.4 · 0.35. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatCell(cell: Cell | null, unit: string): string {
  if (cell === null) return '–';
  if (!isSummary(cell)) return cell.na;
  const spread =
    cell.values.length > 1 ? ` (${formatNumber(cell.min)}–${formatNumber(cell.max)}, n=${cell.values.length})` : '';
  return `${formatNumber(cell.median)} ${unit}${spread}`;
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '–';
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

function formatMet(met: boolean | null): string {
  return met === null ? '–' : met ? 'yes' : 'NO';
}

/** The side-by-side table, as Markdown (readable in a terminal, pasted as is into docs/performance.md). */
export function renderTable(rows: readonly Row[], cpythonLabel: string): string {
  const header = ['measure', 'peerproc', cpythonLabel, 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.measure,
    formatCell(r.peerproc, r.unit),
    formatCell(r.cpython, r.unit),
    formatRatio(r.ratio),
    r.target ?? '–',
    formatMet(r.met),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}
