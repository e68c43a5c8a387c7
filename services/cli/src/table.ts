// Plain-text tables for terminals: left-aligned text, right-aligned numbers, no dependencies.

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: 'left' | 'right';
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** USD amounts arrive as decimal strings with 9 decimals; show 4 (or 6 under a cent). */
export function usd(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '-';
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return String(v);
  return `$${Math.abs(n) < 0.01 && n !== 0 ? n.toFixed(6) : n.toFixed(4)}`;
}

export function int(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return Math.round(n).toLocaleString('en-US');
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '-';
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso
    .replace('T', ' ')
    .replace(/\.\d+Z?$/, '')
    .replace(/Z$/, '');
}
