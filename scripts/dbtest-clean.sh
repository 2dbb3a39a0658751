#!/usr/bin/env bash
# dbtest-clean.sh drops the databases tests leave behind: every sbtest_%
# database, the migrated templates (sbtest_tmpl_*) included. `make test` runs
# it at the end.
#
#   scripts/dbtest-clean.sh           skip databases that still have sessions
#                                     (another test run is using them)
#   scripts/dbtest-clean.sh --force   drop those too, ending their sessions
#
# The server is TEST_DATABASE_URL, else what `scripts/devdb.sh test` finds.
# It takes the advisory lock internal/dbtest uses, so no test binary is
# cloning a template while it is dropped. Exit codes: 0 ok, 1 failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
force=0
case ${1:-} in
--force) force=1 ;;
"") ;;
*)
	echo "usage: $0 [--force]" >&2
	exit 2
	;;
esac

admin=${TEST_DATABASE_URL:-}
[[ -n $admin ]] || admin=$("$repo/scripts/devdb.sh" test)
psql_bin=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
[[ -n $psql_bin ]] || {
	echo "dbtest-clean: psql not found (apt-get install postgresql-client)" >&2
	exit 1
}

# Names are ours (sbtest_ + [a-z0-9_]); quote_ident guards anything else.
# With --force every one goes; otherwise only those nobody is connected to.
list_sql="SELECT quote_ident(d.datname) FROM pg_database d
WHERE d.datname LIKE 'sbtest\\_%'
  AND ($force = 1 OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid))
ORDER BY 1"
busy_sql="SELECT count(*) FROM pg_database d
WHERE d.datname LIKE 'sbtest\\_%'
  AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)"

script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
	echo "SELECT pg_advisory_lock(91634240078914);" # internal/dbtest's lockKey
	PGCONNECT_TIMEOUT=10 "$psql_bin" "$admin" -X -q -A -t -v ON_ERROR_STOP=1 -c "$list_sql" |
		while read -r db; do
			[[ -n $db ]] && printf 'DROP DATABASE IF EXISTS %s WITH (FORCE);\n' "$db"
		done
	echo "SELECT pg_advisory_unlock(91634240078914);"
} >"$script"

n=$(grep -c '^DROP' "$script" || true)
PGCONNECT_TIMEOUT=10 "$psql_bin" "$admin" -X -q -A -t -v ON_ERROR_STOP=1 -f "$script" >/dev/null
echo "dbtest-clean: dropped $n test database(s)" >&2
if ((force == 0)); then
	busy=$(PGCONNECT_TIMEOUT=10 "$psql_bin" "$admin" -X -q -A -t -c "$busy_sql")
	if ((busy > 0)); then
		echo "dbtest-clean: kept $busy in use by a running test; --force drops them" >&2
	fi
fi
