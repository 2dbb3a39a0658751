#!/usr/bin/env bash
# Starts the real Switchboard binaries for the Playwright suite, on a fresh
# database that global-teardown.ts drops afterwards.
#
#   1. creates sbtest_e2e_<random> on TEST_DATABASE_URL's server
#   2. bin/api migrate, bin/api seed (demo@ and ops@ logins)
#   3. bin/worker and bin/scheduler in the background, then execs bin/api on
#      127.0.0.1:18080 (the scheduler is River's leader: without it jobs
#      inserted for later, such as a throttled campaign's batches, never run)
#
# Build first: `go build -o bin/ ./cmd/...` (with web/dist built, since the
# API embeds it). E2E_PORT moves the port.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
port=${E2E_PORT:-18080}
admin_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
state="$here/.state"
mkdir -p "$state"

for bin in api worker scheduler; do
  [[ -x "$repo/bin/$bin" ]] || { echo "e2e: $repo/bin/$bin is missing; run 'go build -o bin/ ./cmd/...' in $repo" >&2; exit 1; }
done

db="sbtest_e2e_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# Same server and credentials as the admin URL, another database.
db_url=$(printf '%s' "$admin_url" | sed -E "s#^(postgres(ql)?://[^/?]+)(/[^?]*)?#\1/$db#")
data_dir=$(mktemp -d -t sbtest-e2e-XXXXXX)

cat > "$state/server.env" <<ENV
E2E_DB=$db
E2E_ADMIN_URL=$admin_url
E2E_DATA_DIR=$data_dir
E2E_API_PID=$$
ENV

psql "$admin_url" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db\"" >&2
echo "e2e: database $db" >&2

export DATABASE_URL="$db_url"
export HTTP_ADDR="127.0.0.1:$port"
export PUBLIC_BASE_URL="http://localhost:$port"
export APP_ENV=dev
export DATA_DIR="$data_dir"
export LOG_LEVEL=${E2E_LOG_LEVEL:-warn}
# Every browser test signs in from 127.0.0.1, most of them as the seeded demo
# owner: the login throttles (50 per IP per 5 min, 10 per email per 15 min)
# would trip on the suite itself. The 429 path is covered by unit tests.
export LOGIN_LIMIT_PER_IP=${LOGIN_LIMIT_PER_IP:-1000}
export LOGIN_LIMIT_PER_EMAIL=${LOGIN_LIMIT_PER_EMAIL:-1000}

cd "$repo"
timeout 120 ./bin/api migrate >&2
timeout 60 ./bin/api seed >&2

./bin/worker >"$data_dir/worker.log" 2>&1 &
echo "E2E_WORKER_PID=$!" >> "$state/server.env"
./bin/scheduler >"$data_dir/scheduler.log" 2>&1 &
echo "E2E_SCHEDULER_PID=$!" >> "$state/server.env"

exec ./bin/api
