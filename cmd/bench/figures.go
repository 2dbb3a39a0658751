package main

import (
	"log/slog"
	"math"
	"slices"
	"time"
)

// percentile is the nearest-rank q-quantile (0 < q <= 1) of ds.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(b uint64) float64 { return round(float64(b)/(1<<20), 1) }

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func logRate(logger *slog.Logger, what string, rows int, took time.Duration) {
	logger.Info(what, "rows", rows, "took", took.Round(time.Millisecond), "rows_per_sec", round(float64(rows)/took.Seconds(), 0))
}
