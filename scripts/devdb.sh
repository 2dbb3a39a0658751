#!/usr/bin/env bash
# devdb.sh finds or starts the Postgres that development and tests use, and
# prints its URL on stdout. Everything else goes to stderr.
#
#   scripts/devdb.sh run    URL of database "switchboard" (created if missing)
#   scripts/devdb.sh test   admin URL (database "postgres") for tests that
#                           create and drop their own databases
#   scripts/devdb.sh e2e    URL of a fresh, empty database "sbtest_e2e"
#   scripts/devdb.sh stop   stop the private cluster under .data/pg, if any
#
# Where the server comes from, in order:
#   (a) DATABASE_URL (run) or TEST_DATABASE_URL (test, e2e) when set;
#   (b) a server answering on 127.0.0.1:5432 as user postgres;
#   (c) a private cluster under .data/pg (initdb, pg_ctl start on a free port
#       from 54329 up, remembered in .data/pg/port);
#   (d) no server binaries: apt-get install postgresql when root, else exit 1.
#
# Knobs (for tests of this script and unusual machines):
#   DEVDB_PORT_PROBE  host:port probed in (b)   (default 127.0.0.1:5432)
#   DEVDB_DIR         private cluster directory (default <repo>/.data/pg)
#   DEVDB_FIRST_PORT  first port tried in (c)   (default 54329)
#   DEVDB_PG_USER     OS user that runs a private cluster when we are root
#                     (default postgres)
#   DEVDB_BIN_GLOB    where server binaries are looked for before PATH
#                     (default /usr/lib/postgresql/*/bin)
#
# Exit codes: 0 ok, 1 no usable Postgres (the message says what to install),
# 2 usage.
set -euo pipefail

log() { printf 'devdb: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
probe=${DEVDB_PORT_PROBE:-127.0.0.1:5432}
probe_host=${probe%:*}
probe_port=${probe##*:}
pgdir=${DEVDB_DIR:-$repo/.data/pg}
first_port=${DEVDB_FIRST_PORT:-54329}
pg_os_user=${DEVDB_PG_USER:-postgres}
bin_glob=${DEVDB_BIN_GLOB:-/usr/lib/postgresql/*/bin}
app_db=switchboard
e2e_db=sbtest_e2e

bindir=""   # directory holding initdb, pg_ctl, postgres
psql_bin="" # a psql client

# find_bins fills bindir and psql_bin. It prefers the newest
# /usr/lib/postgresql/*/bin, then whatever PATH holds.
find_bins() {
	local d
	bindir=""
	for d in $(ls -d $bin_glob 2>/dev/null | sort -V -r); do
		if [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres ]]; then
			bindir=$d
			break
		fi
	done
	if [[ -z $bindir ]] && command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
	fi
	psql_bin=$(command -v psql || true)
	if [[ -z $psql_bin && -n $bindir && -x $bindir/psql ]]; then
		psql_bin=$bindir/psql
	fi
}

# psql_q runs one statement against a URL, quietly; output is the bare result.
psql_q() {
	local url=$1 sql=$2
	PGCONNECT_TIMEOUT=5 "$psql_bin" "$url" -X -q -A -t -v ON_ERROR_STOP=1 -c "$sql"
}

url_for() { # host port db
	printf 'postgres://postgres@%s:%s/%s?sslmode=disable' "$1" "$2" "$3"
}

# ensure_db creates database $2 through admin URL $1 when it is missing.
ensure_db() {
	local admin=$1 db=$2
	if [[ $(psql_q "$admin" "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]]; then
		return 0
	fi
	log "creating database $db"
	psql_q "$admin" "CREATE DATABASE \"$db\"" >&2 ||
		[[ $(psql_q "$admin" "SELECT 1 FROM pg_database WHERE datname = '$db'") == 1 ]] # lost a race: fine
}

# fresh_db drops and recreates database $2 through admin URL $1.
fresh_db() {
	local admin=$1 db=$2
	log "recreating empty database $db"
	psql_q "$admin" "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >&2
	psql_q "$admin" "CREATE DATABASE \"$db\"" >&2
}

# with_db_name rewrites the database of a postgres:// URL or a key=value DSN.
with_db_name() {
	local url=$1 db=$2
	if [[ $url == postgres://* || $url == postgresql://* ]]; then
		local scheme=${url%%://*} rest=${url#*://} query=""
		if [[ $rest == *\?* ]]; then
			query="?${rest#*\?}"
			rest=${rest%%\?*}
		fi
		printf '%s://%s/%s%s' "$scheme" "${rest%%/*}" "$db" "$query"
	elif [[ $url == *dbname=* ]]; then
		printf '%s' "$url" | sed -E "s/dbname=('[^']*'|[^ ]*)/dbname=$db/"
	else
		printf '%s dbname=%s' "$url" "$db"
	fi
}

db_name_of() {
	local url=$1
	if [[ $url == postgres://* || $url == postgresql://* ]]; then
		local rest=${url#*://}
		rest=${rest%%\?*}
		[[ $rest == */* ]] && printf '%s' "${rest#*/}"
	elif [[ $url =~ dbname=([^ ]+) ]]; then
		printf '%s' "${BASH_REMATCH[1]}"
	fi
}

# as_pg runs a server binary as a non-root user: Postgres refuses to run as root.
as_pg() {
	if [[ $(id -u) -ne 0 ]]; then
		"$@"
	elif command -v runuser >/dev/null; then
		runuser -u "$pg_os_user" -- "$@"
	else
		su "$pg_os_user" -s /bin/sh -c "$(printf '%q ' "$@")"
	fi
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# prepare_root_owner makes $pgdir usable by the OS user that runs the cluster.
prepare_root_owner() {
	[[ $(id -u) -eq 0 ]] || return 0
	if ! id "$pg_os_user" >/dev/null 2>&1; then
		log "creating system user $pg_os_user to run the private cluster"
		useradd --system --home-dir /var/lib/postgresql --shell /bin/sh "$pg_os_user" >&2 ||
			die "cannot create OS user $pg_os_user; create it or set DEVDB_PG_USER to a non-root user"
	fi
	chown -R "$pg_os_user": "$pgdir"
	# The data dir's parents must be traversable by that user. .data is made
	# 0700 by the app's dev-secret code; open it for traversal only.
	local d=$pgdir
	while [[ $d != / ]]; do
		d=$(dirname "$d")
		if ! runuser -u "$pg_os_user" -- test -x "$d" 2>/dev/null; then
			if [[ $d == "$repo"/* ]]; then
				chmod o+x "$d"
			else
				die "$pg_os_user cannot reach $pgdir ($d is not traversable); set DEVDB_DIR elsewhere"
			fi
		fi
	done
}

cluster_running() {
	[[ -f $pgdir/data/postmaster.pid ]] && as_pg "$bindir/pg_ctl" status -D "$pgdir/data" >/dev/null 2>&1
}

# start_private starts (or reuses) the cluster under $pgdir and sets port.
start_private() {
	mkdir -p "$pgdir"
	# Serialize concurrent devdb.sh runs. The server must not inherit fd 9
	# (see the pg_ctl start below) or it would hold the lock forever.
	exec 9>"$pgdir.lock"
	command -v flock >/dev/null && flock 9

	if cluster_running && [[ -f $pgdir/port ]]; then
		port=$(<"$pgdir/port")
		log "private cluster already running on port $port ($pgdir)"
		return 0
	fi
	prepare_root_owner
	if [[ ! -f $pgdir/data/PG_VERSION ]]; then
		log "initdb $pgdir/data (trust auth, user postgres)"
		as_pg "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2 ||
			as_pg "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 --locale=C >&2
	fi
	port=""
	if [[ -f $pgdir/port ]] && ! port_in_use "$(<"$pgdir/port")"; then
		port=$(<"$pgdir/port")
	else
		local p
		for ((p = first_port; p < first_port + 100; p++)); do
			if ! port_in_use "$p"; then
				port=$p
				break
			fi
		done
		[[ -n $port ]] || die "no free port in $first_port..$((first_port + 99))"
	fi
	# A unix socket path is limited to about 107 bytes; use TCP only beyond that.
	local sockdir=$pgdir
	if ((${#sockdir} + 20 > 100)); then
		sockdir=""
	fi
	log "starting private cluster on 127.0.0.1:$port (log: $pgdir/log)"
	as_pg "$bindir/pg_ctl" start -D "$pgdir/data" -l "$pgdir/log" -w -t 60 \
		-o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$sockdir'" >&2 9>&- ||
		die "pg_ctl start failed; see $pgdir/log"
	printf '%s\n' "$port" >"$pgdir/port"
	[[ $(id -u) -ne 0 ]] || chown "$pg_os_user": "$pgdir/port"
}

install_hint() {
	cat >&2 <<EOF
devdb: no PostgreSQL server binaries (initdb, pg_ctl, postgres) and no server on $probe.
devdb: install them, then run this again:
devdb:   Debian/Ubuntu: sudo apt-get install -y postgresql
devdb:   Fedora:        sudo dnf install -y postgresql-server
devdb:   macOS:         brew install postgresql@15
devdb: or point DATABASE_URL / TEST_DATABASE_URL at a server you have.
EOF
}

# server_url finds or starts a server and prints its admin URL.
server_url() {
	find_bins
	if [[ -n $psql_bin ]]; then
		local admin
		admin=$(url_for "$probe_host" "$probe_port" postgres)
		if psql_q "$admin" "SELECT 1" >/dev/null 2>&1; then
			log "using the server on $probe_host:$probe_port"
			printf '%s' "$admin"
			return 0
		fi
		log "no server answers as postgres on $probe_host:$probe_port"
	fi
	if [[ -z $bindir || -z $psql_bin ]]; then
		if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
			log "installing postgresql with apt-get"
			export DEBIAN_FRONTEND=noninteractive
			apt-get update >&2 && apt-get install -y postgresql >&2 || {
				install_hint
				exit 1
			}
			find_bins
		fi
		if [[ -z $bindir || -z $psql_bin ]]; then
			install_hint
			exit 1
		fi
	fi
	start_private
	url_for 127.0.0.1 "$port" postgres
}

cmd_stop() {
	find_bins
	if [[ ! -f $pgdir/data/postmaster.pid ]]; then
		log "no private cluster running under $pgdir"
		return 0
	fi
	[[ -n $bindir ]] || die "pg_ctl not found; cannot stop $pgdir"
	log "stopping the private cluster under $pgdir"
	as_pg "$bindir/pg_ctl" stop -D "$pgdir/data" -m fast -w -t 30 >&2
}

main() {
	local cmd=${1:-}
	find_bins
	case $cmd in
	run)
		if [[ -n ${DATABASE_URL:-} ]]; then
			local db
			db=$(db_name_of "$DATABASE_URL")
			if [[ -n $psql_bin && -n $db ]] && ! psql_q "$DATABASE_URL" "SELECT 1" >/dev/null 2>&1; then
				ensure_db "$(with_db_name "$DATABASE_URL" postgres)" "$db" 2>/dev/null ||
					log "could not create database $db through DATABASE_URL; using it as given"
			fi
			printf '%s\n' "$DATABASE_URL"
			return 0
		fi
		local admin
		admin=$(server_url)
		ensure_db "$admin" "$app_db"
		printf '%s\n' "$(with_db_name "$admin" "$app_db")"
		;;
	test)
		if [[ -n ${TEST_DATABASE_URL:-} ]]; then
			printf '%s\n' "$TEST_DATABASE_URL"
			return 0
		fi
		local admin
		admin=$(server_url)
		printf '%s\n' "$admin"
		;;
	e2e)
		local admin=${TEST_DATABASE_URL:-}
		[[ -n $admin ]] || admin=$(server_url)
		[[ -n $psql_bin ]] || die "psql not found"
		fresh_db "$admin" "$e2e_db"
		printf '%s\n' "$(with_db_name "$admin" "$e2e_db")"
		;;
	stop) cmd_stop ;;
	*)
		echo "usage: $0 run|test|e2e|stop" >&2
		exit 2
		;;
	esac
}

main "$@"
