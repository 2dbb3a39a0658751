#!/usr/bin/env bash
# run.sh is what `make run` runs after building: it finds or starts Postgres,
# migrates and seeds it, starts bin/api, bin/worker and bin/scheduler, waits
# for /readyz and prints where everything is. Ctrl-C stops all three.
#
# Environment (all optional): DATABASE_URL (else scripts/devdb.sh run),
# HTTP_ADDR (127.0.0.1:8080), PUBLIC_BASE_URL (http://localhost:8080),
# APP_ENV (dev), SANDBOX (1), and anything else the binaries read.
#
# Exit codes: 0 after Ctrl-C (or SIGTERM); otherwise the failing step's code,
# or that of the first process to die (1 if it exited 0).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'run: %s\n' "$*" >&2; }

for bin in bin/api bin/worker bin/scheduler; do
	[[ -x $bin ]] || {
		log "$bin is missing: run make build (or make run)"
		exit 1
	}
done

DATABASE_URL=$(scripts/devdb.sh run)
export DATABASE_URL
export APP_ENV=${APP_ENV:-dev}
export SANDBOX=${SANDBOX:-1}
export HTTP_ADDR=${HTTP_ADDR:-127.0.0.1:8080}
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://localhost:8080}

# Where to poll: HTTP_ADDR, with an empty or wildcard host made local.
host=${HTTP_ADDR%:*}
port=${HTTP_ADDR##*:}
case $host in "" | 0.0.0.0 | "[::]") host=127.0.0.1 ;; esac
local_url="http://$host:$port"

log "migrating"
bin/api migrate
log "seeding"
bin/api seed

pids=()
names=()
start() {
	local name=$1
	shift
	# A session of its own, so that Ctrl-C reaches only this script, which
	# then stops the processes in order (a second signal could cut their
	# graceful shutdown short).
	if command -v setsid >/dev/null; then
		setsid "$@" &
	else
		"$@" &
	fi
	pids+=("$!")
	names+=("$name")
	log "started $name (pid $!)"
}

stop_all() {
	local pid i
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ((i = 0; i < 100; i++)); do # 10s
		local alive=0
		for pid in "${pids[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${pids[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			log "pid $pid did not stop within 10s: killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	wait 2>/dev/null || true
}

on_signal() {
	trap '' INT TERM HUP
	log "stopping"
	stop_all
	log "stopped"
	exit 0
}
trap on_signal INT TERM HUP

start api bin/api
start worker bin/worker
start scheduler bin/scheduler

# find_dead sets dead_name and dead_code for a process that has exited, if
# any. (bash reaps its children as they exit; wait then gives the status.)
dead_name=""
dead_code=0
find_dead() {
	local i
	for i in "${!pids[@]}"; do
		if ! kill -0 "${pids[$i]}" 2>/dev/null; then
			dead_name=${names[$i]}
			dead_code=0
			wait "${pids[$i]}" 2>/dev/null || dead_code=$?
			return 0
		fi
	done
	return 1
}

die_dead() {
	log "$dead_name exited with code $dead_code: stopping the others"
	stop_all
	((dead_code != 0)) || dead_code=1
	exit "$dead_code"
}

ready=0
for ((i = 0; i < 120; i++)); do # 60s
	if find_dead; then
		die_dead
	fi
	if curl -fsS -o /dev/null --max-time 2 "$local_url/readyz" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.5
done
if ((!ready)); then
	log "$local_url/readyz did not answer within 60s: stopping"
	stop_all
	exit 1
fi

base=${PUBLIC_BASE_URL%/}
shown_db=$(printf '%s' "$DATABASE_URL" | sed -E 's#(://[^:/@]+):[^@]*@#\1:***@#')
cat <<EOF

  ================================================================
   Switchboard is running at  $base
  ----------------------------------------------------------------
   Demo org owner     demo@switchboard.local / switchboard-demo
   Staff operator     ops@switchboard.local  / switchboard-ops
   River UI           $base/riverui/
   API docs           $base/api/docs/swagger/
   Database           $shown_db
  ----------------------------------------------------------------
   Ctrl-C to stop
  ================================================================

EOF

# Wait for a signal (handled by on_signal) or for a process to die. The
# sleep runs in the background so that a signal interrupts `wait` at once.
while true; do
	sleep 1 &
	wait $! 2>/dev/null || true
	if find_dead; then
		die_dead
	fi
done
