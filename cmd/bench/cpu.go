package main

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuMeter counts the CPU time this process and the benchmark database's
// Postgres backends spend between start and stop. On a shared, noisy
// machine throughput moves with the neighbours; CPU per operation moves
// much less, so the benchmarks log it beside their figures.
type cpuMeter struct {
	pool     *pgxpool.Pool
	self     time.Duration
	backends map[int]time.Duration
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// every Linux this runs on).
const clockTick = 100

func startCPU(ctx context.Context, pool *pgxpool.Pool) *cpuMeter {
	m := &cpuMeter{pool: pool, self: selfCPU()}
	m.backends = m.read(ctx)
	return m
}

// stop returns the process's and the backends' CPU time since start
// (backends that ended in between are not counted).
func (m *cpuMeter) stop(ctx context.Context) (self, pg time.Duration) {
	self = selfCPU() - m.self
	for pid, t := range m.read(ctx) {
		pg += t - m.backends[pid]
	}
	return self, pg
}

func (m *cpuMeter) read(ctx context.Context) map[int]time.Duration {
	out := map[int]time.Duration{}
	rows, err := m.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return out
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis; utime and
		// stime are the 14th and 15th of the whole line.
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.Atoi(f[11])
		st, _ := strconv.Atoi(f[12])
		out[pid] = time.Duration(ut+st) * time.Second / clockTick
	}
	return out
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
