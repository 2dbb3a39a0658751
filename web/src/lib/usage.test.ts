import { describe, expect, it } from 'vitest';
import { fillUsage, sparklinePoints, totalRequests } from './usage';

describe('fillUsage', () => {
  const today = new Date('2026-11-25T15:00:00Z');

  it('fills the 30-day window with zeros, oldest first', () => {
    const series = fillUsage([{ day: '2026-11-25', requests: 12 }, { day: '2026-11-20', requests: 3 }], 30, today);
    expect(series).toHaveLength(30);
    expect(series[0]).toEqual({ day: '2026-10-27', requests: 0 });
    expect(series[29]).toEqual({ day: '2026-11-25', requests: 12 });
    expect(series[24]).toEqual({ day: '2026-11-20', requests: 3 });
    expect(totalRequests(series)).toBe(15);
  });

  it('ignores days outside the window and accepts timestamps', () => {
    const series = fillUsage([{ day: '2026-01-01', requests: 99 }, { day: '2026-11-24T00:00:00Z', requests: 4 }], 30, today);
    expect(totalRequests(series)).toBe(4);
  });

  it('handles no usage', () => {
    expect(totalRequests(fillUsage(undefined, 7, today))).toBe(0);
    expect(fillUsage(null, 7, today)).toHaveLength(7);
  });
});

describe('sparklinePoints', () => {
  it('scales the peak to the top and zero to the baseline', () => {
    const pts = sparklinePoints([0, 5, 10], 100, 20, 0);
    expect(pts).toEqual([
      [0, 20],
      [50, 10],
      [100, 0],
    ]);
  });

  it('lays a flat series on the baseline', () => {
    expect(sparklinePoints([0, 0], 10, 10, 1)).toEqual([
      [1, 9],
      [9, 9],
    ]);
  });

  it('returns nothing for nothing', () => {
    expect(sparklinePoints([], 10, 10)).toEqual([]);
  });
});
