# Throwaway PostgreSQL clusters for tests. Source after lib/common.sh.
#
#   start_postgres DIR   initdb a cluster in DIR/data, start it on 127.0.0.1 on a free port (trust auth),
#                        create database `errand`; sets PG_URL (postgres://errand@127.0.0.1:PORT/errand),
#                        PG_PORT and PG_BIN. Installs the `postgresql` package if no server binaries are found.
#                        With PG_DURABLE=1 the server keeps PostgreSQL's durable defaults (fsync, synchronous_commit
#                        and full_page_writes on), for benchmarks; else they are off, as a test cluster needs no
#                        durability.
#   stop_postgres        stops the cluster start_postgres started (fast shutdown); safe to call twice.

PG_DATA=""

# find_pg_bin: the directory of the newest installed PostgreSQL server binaries, or nothing.
find_pg_bin() {
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# as_pg_user CMD...: run CMD as the `postgres` user when we are root (initdb refuses root), else as ourselves.
as_pg_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# free_port: a TCP port nothing listens on right now.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_postgres() {
    local dir="$1"
    PG_BIN=$(find_pg_bin) || {
        ensure_apt_packages postgresql || die "could not install postgresql"
        PG_BIN=$(find_pg_bin) || die "no PostgreSQL server binaries under /usr/lib/postgresql"
    }
    PG_DATA="$dir/pgdata"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir"
    as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U errand --auth=trust --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    PG_PORT=$(free_port)
    # Small, fast, loopback only; fsync off: a test cluster is thrown away.
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && durability=""
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $PG_PORT -k $dir $durability -c max_connections=200" \
        >/dev/null || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    as_pg_user "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U errand errand || die "createdb failed"
    PG_URL="postgres://errand@127.0.0.1:$PG_PORT/errand"
    export PG_URL PG_PORT PG_BIN
    log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
    [ -n "$PG_DATA" ] && [ -d "$PG_DATA" ] || return 0
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    PG_DATA=""
}
