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

# make_tls_files DIR: a throwaway CA (DIR/ca.crt) and a server certificate and key signed by it that name
# "localhost" only, not 127.0.0.1: a client checking host names accepts the one and refuses the other.
make_tls_files() {
    local dir="$1"
    mkdir -p "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=errand test CA" \
        -keyout "$dir/ca.key" -out "$dir/ca.crt" >/dev/null 2>&1 || return 1
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" \
        >/dev/null 2>&1 || return 1
    printf 'subjectAltName=DNS:localhost\n' >"$dir/server.ext"
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
        -extfile "$dir/server.ext" -out "$dir/server.crt" >/dev/null 2>&1 || return 1
    chmod 600 "$dir/server.key"
}

# start_postgres DIR: a throwaway server on a free loopback port, its data in DIR. TLS is on (plain connections
# still work), with the certificate of make_tls_files; PG_CA_FILE names its CA.
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
    command -v openssl >/dev/null 2>&1 || ensure_apt_packages openssl || die "could not install openssl"
    make_tls_files "$dir/tls" || die "could not make the TLS files"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$dir/tls"
    PG_CA_FILE="$dir/tls/ca.crt"
    PG_PORT=$(free_port)
    # Small, fast, loopback only; fsync off: a test cluster is thrown away.
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [ "${PG_DURABLE:-0}" = 1 ] && durability=""
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t 60 start \
        -o "-h 127.0.0.1 -p $PG_PORT -k $dir $durability -c max_connections=200 -c ssl=on \
            -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" \
        >/dev/null || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    as_pg_user "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U errand errand || die "createdb failed"
    PG_URL="postgres://errand@127.0.0.1:$PG_PORT/errand"
    export PG_URL PG_PORT PG_BIN PG_CA_FILE
    log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
    [ -n "$PG_DATA" ] && [ -d "$PG_DATA" ] || return 0
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null 2>&1 || true
    PG_DATA=""
}
