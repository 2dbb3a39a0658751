/** Turns an API key's sparse daily usage into a dense series for a chart. */

export interface UsageDay {
  day: string;
  requests: number;
}

/** YYYY-MM-DD of a date in UTC (the API's days are UTC dates). */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * The last `days` days ending today (UTC), oldest first, with zero for the
 * days the API omitted. Days outside the window are ignored.
 */
export function fillUsage(usage: readonly UsageDay[] | null | undefined, days = 30, today: Date = new Date()): UsageDay[] {
  const byDay = new Map<string, number>();
  for (const u of usage ?? []) {
    const key = u.day.slice(0, 10);
    byDay.set(key, (byDay.get(key) ?? 0) + u.requests);
  }
  const end = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const series: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = isoDay(new Date(end - i * 86_400_000));
    series.push({ day, requests: byDay.get(day) ?? 0 });
  }
  return series;
}

/** Total requests in a series. */
export function totalRequests(series: readonly UsageDay[]): number {
  return series.reduce((sum, d) => sum + d.requests, 0);
}

/**
 * SVG points for a sparkline of `values` inside width × height with `pad`
 * pixels of padding. A flat series sits on the baseline.
 */
export function sparklinePoints(values: readonly number[], width: number, height: number, pad = 2): [number, number][] {
  if (values.length === 0) return [];
  const max = Math.max(...values);
  const innerW = width - pad * 2;
  const innerH = height - pad * 2;
  const step = values.length > 1 ? innerW / (values.length - 1) : 0;
  return values.map((v, i) => {
    const x = pad + i * step;
    const y = max > 0 ? pad + innerH - (v / max) * innerH : pad + innerH;
    return [round(x), round(y)];
  });
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
