# Helpers shared by scripts/*.sh. Source it; it defines functions only.
# Every function returns non-zero on failure explicitly, so it also works where `set -e` is off.
# shellcheck shell=bash

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# as_root CMD...: run CMD as root (directly when we are root, else through sudo).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"
    fi
}

# ensure_apt_packages PKG...: install the Debian packages that are missing; `apt-get update` at most once.
_apt_updated=0
ensure_apt_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get to install them"
    if [ "$_apt_updated" -eq 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null || return 1
        _apt_updated=1
    fi
    log "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null \
        || return 1
}

# ensure_venv DIR REQUIREMENTS: create DIR as a venv and install REQUIREMENTS into it, unless the
# venv works and was last installed from a requirements file with the same sha256 (kept in DIR).
ensure_venv() {
    local dir="$1" req="$2" want have=""
    [ -f "$req" ] || die "no requirements file $req"
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    [ -f "$dir/.requirements.sha256" ] && have="$(cat "$dir/.requirements.sha256")"
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c 'import sys' 2>/dev/null && [ "$want" = "$have" ]; then
        log "$dir is up to date with $req"
        return 0
    fi
    if ! [ -x "$dir/bin/python" ] || ! "$dir/bin/python" -c 'import sys' 2>/dev/null; then
        rm -rf "$dir"
        log "python3 -m venv $dir"
        python3 -m venv "$dir" || return 1
    fi
    log "installing $req into $dir"
    rm -f "$dir/.requirements.sha256"
    "$dir/bin/python" -m pip install --disable-pip-version-check -q -r "$req" </dev/null || return 1
    printf '%s\n' "$want" > "$dir/.requirements.sha256"
}

# start_errand NAME LOGDIR BIN ARGS...: run `BIN ARGS...` (normally `serve --port 0 ...`) in the background with
# stdout in LOGDIR/NAME.out and stderr in LOGDIR/NAME.err, and wait up to 30 s for its "listening on URL" line.
# Sets ERRAND_SERVER_PID and ERRAND_SERVER_URL (scheme, host and port; no path). When ERRAND_PID_DIR is set
# (scripts/test.sh), the pid is left there so that a server a failed script leaves behind is still stopped.
start_errand() {
    local name="$1" dir="$2"
    shift 2
    ERRAND_SERVER_URL=""
    : >"$dir/$name.out"   # exists before the first look below, whenever the background job opens it
    "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
    ERRAND_SERVER_PID=$!
    [ -n "${ERRAND_PID_DIR:-}" ] && [ -d "$ERRAND_PID_DIR" ] && echo "$ERRAND_SERVER_PID" >"$ERRAND_PID_DIR/$name-$ERRAND_SERVER_PID"
    local _
    for _ in $(seq 300); do
        ERRAND_SERVER_URL=$(sed -n 's/^listening on \(https\{0,1\}:\/\/[^ ]*\).*/\1/p' "$dir/$name.out" | head -n1)
        [ -n "$ERRAND_SERVER_URL" ] && return 0
        if ! kill -0 "$ERRAND_SERVER_PID" 2>/dev/null; then
            warn "$name exited before listening:"
            cat "$dir/$name.err" >&2
            return 1
        fi
        sleep 0.1
    done
    warn "$name did not print 'listening on' within 30 s"
    cat "$dir/$name.err" >&2
    return 1
}

# stop_errand PID: SIGTERM, up to 5 s for it to exit, then SIGKILL. Does nothing for an empty or gone PID.
stop_errand() {
    local pid="$1" _
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
