// Load generator for scripts/load-test.sh: one epoll loop, raw sockets, no dependencies.
//
// Against an errand server on loopback it runs, at once:
//   - N subscribers on GET /api/events (HTTP/1.0, so the stream is close-delimited), spread over P principals
//     (subscriber i signs in as principal i % P, so each principal has N / P devices), each timing every
//     task-completion event: lag = receipt wall-clock time - the event's task lastUpdatedAt;
//   - task submissions at a fixed rate: POST /api/tools/sleep/call?task=true {"seconds":0} on a few
//     pipelined keep-alive connections, signed in as the principals in turn: one in TEAM_EVERY submissions
//     by the team's principals (the first TEAM_SIZE, who share a team and so see each other's tasks), the
//     rest round robin by the other principals;
//   - a count check: every subscriber must see one "created" and one "completed" event for each accepted
//     task its principal may see (its own, or its team's);
//   - /healthz probes every 50 ms on a keep-alive connection and every 100 ms on a fresh connection;
//   - during a window, S slowloris connections that send one header byte every few seconds (reopened
//     when the server's header timeout closes them);
//   - every 5 s, the server's RSS, open descriptors and CPU time from /proc/PID.
// At the end it closes everything, waits, counts the server's descriptors again and writes a JSON report.
//
//   loadgen --port P --pid PID --tokens FILE [--subscribers 5000] [--rate 1000] [--duration 60]
//           [--slowloris 500] [--slow-interval 3] [--team-size 4] [--team-every 10] [--drain 15]
//           [--out report.json]
// FILE holds one bearer token per line, one line per principal; principals 0 .. team-size-1 share a team.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum kind { SUB, SUBMIT, PROBE_KEEPALIVE, PROBE_FRESH, SLOW };

typedef struct {
    double *values;
    size_t count, capacity;
} series;

static void push(series *s, double v) {
    if (s->count == s->capacity) {
        s->capacity = s->capacity ? s->capacity * 2 : 1024;
        s->values = realloc(s->values, s->capacity * sizeof(double));
    }
    s->values[s->count++] = v;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(series *s, double q) {
    if (!s->count) return -1;
    qsort(s->values, s->count, sizeof(double), compare_doubles);
    size_t i = (size_t)(q * (double)(s->count - 1) + 0.5);
    return s->values[i];
}

typedef struct conn conn;
struct conn {
    int fd, kind, connected, dead;
    char *in;
    size_t in_len, in_cap;
    char out[1024];
    size_t out_len;
    // subscribers
    int head_done, status;
    int principal;
    uint64_t events, completions, creations;
    double max_lag_ms;
    series lags;
    double closed_at;
    // request/response connections: send times of requests in flight, FIFO
    double sent_at[64];
    int q_head, q_count, phase[64], owner[64];
    // slowloris
    double opened_at, next_byte_at;
    int slow_index;
};

static const char *host = "127.0.0.1";
static int port, server_pid;
static int subscribers = 5000, rate = 1000, duration = 60, slow_count = 500;
static double slow_interval = 3.0;
static const char *out_path = "load-test.json";
static char **tokens;  // one bearer token per principal (the server runs with --auth-file)
static int principals, team_size = 4, team_every = 10;
static double drain_limit = 15;
static uint64_t *accepted_by;  // 202 answers per principal
static int epfd;
static double t0;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9 - t0;
}

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static conn *open_conn(int kind) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, host, &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) {
        close(fd);
        return NULL;
    }
    conn *c = calloc(1, sizeof *c);
    c->fd = fd;
    c->kind = kind;
    c->opened_at = now();
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    return c;
}

static void close_conn(conn *c) {
    if (c->dead) return;
    c->dead = 1;
    c->closed_at = now();
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
}

static void watch(conn *c, int writable) {
    struct epoll_event ev = {.events = EPOLLIN | (writable ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void flush_out(conn *c) {
    while (c->out_len && c->connected && !c->dead) {
        ssize_t n = write(c->fd, c->out, c->out_len);
        if (n < 0) {
            if (errno == EAGAIN) break;
            close_conn(c);
            return;
        }
        memmove(c->out, c->out + n, c->out_len - n);
        c->out_len -= n;
    }
    if (!c->dead) watch(c, c->out_len > 0 || !c->connected);
}

static void send_text(conn *c, const char *text, size_t len) {
    if (c->out_len + len > sizeof c->out) return;  // never happens with the requests we send
    memcpy(c->out + c->out_len, text, len);
    c->out_len += len;
    flush_out(c);
}

// ------------------------------------------------------------------ results

static series lag_all, sub_max_lag, submit_latency, healthz[2], healthz_fresh[2], slow_408_after;
static uint64_t submitted, status_202, status_other, status_429, slow_opened, slow_408, slow_other_close;
static uint64_t sub_connected, sub_dropped, sub_failed;
static double samples[64][6];  // t, rss MiB, fds, cpu s, live subscribers, machine load average (1 min)
static int sample_count;
static long fds_before, fds_peak, fds_after_close, fds_after_settle;
static double rss_before, rss_peak, rss_after;

static long count_fds(void) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", server_pid);
    DIR *dir = opendir(path);
    if (!dir) return -1;
    long n = 0;
    struct dirent *e;
    while ((e = readdir(dir))) n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

static double rss_mib(void) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    double kb = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atof(line + 6);
    fclose(f);
    return kb / 1024;
}

static double cpu_seconds(void) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", server_pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    char *p = strrchr(text, ')');
    unsigned long utime = 0, stime = 0;
    // fields after ")": state(3) ... utime(14) stime(15)
    if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
    return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

// "2026-03-02T09:15:00.120Z" → epoch ms; -1 if malformed.
static double parse_stamp(const char *s) {
    struct tm tm = {0};
    int ms = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &ms) != 7)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) * 1e3 + ms;
}

// ------------------------------------------------------------------ per-kind input

static void on_event(conn *c, const char *block, size_t len) {
    c->events++;
    if (memmem(block, len, "\"type\":\"created\"", 16)) c->creations++;
    // Task JSON has sorted keys: the task's own status comes right before "statusMessage" or "tool";
    // history entries carry "status" too but are followed by other keys.
    if (!memmem(block, len, "\"type\":\"status\"", 15)) return;
    if (!memmem(block, len, "\"status\":\"completed\",\"tool\"", 27) &&
        !memmem(block, len, "\"status\":\"completed\",\"statusMessage\"", 36))
        return;
    const char *stamp = memmem(block, len, "\"lastUpdatedAt\":\"", 17);
    if (!stamp) return;
    double published = parse_stamp(stamp + 17);
    if (published < 0) return;
    double lag = wall_ms() - published;
    c->completions++;
    if (lag > c->max_lag_ms) c->max_lag_ms = lag;
    push(&c->lags, lag);
    push(&lag_all, lag);
}

static void read_subscriber(conn *c) {
    if (!c->head_done) {
        char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
        if (!end) return;
        c->status = atoi(c->in + 9);
        c->head_done = 1;
        if (c->status == 200) sub_connected++;
        else sub_failed++;
        size_t head = end + 4 - c->in;
        memmove(c->in, c->in + head, c->in_len - head);
        c->in_len -= head;
    }
    size_t start = 0;
    for (;;) {
        char *sep = memmem(c->in + start, c->in_len - start, "\n\n", 2);
        if (!sep) break;
        on_event(c, c->in + start, sep - (c->in + start));
        start = sep + 2 - c->in;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
}

static void read_responses(conn *c) {
    size_t start = 0;
    for (;;) {
        char *end = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
        if (!end) break;
        size_t head_len = end + 4 - (c->in + start);
        long length = 0;
        for (char *p = c->in + start; p < end; p++)
            if (*p == '\n' && !strncasecmp(p + 1, "content-length:", 15)) length = atol(p + 16);
        if (c->in_len - start < head_len + (size_t)length) break;
        int status = atoi(c->in + start + 9);
        double latency_ms = 0;
        int phase = -1, owner = -1;
        if (c->q_count) {
            latency_ms = (now() - c->sent_at[c->q_head]) * 1e3;
            phase = c->phase[c->q_head];
            owner = c->owner[c->q_head];
            c->q_head = (c->q_head + 1) % 64;
            c->q_count--;
        }
        if (c->kind == SUBMIT) {
            push(&submit_latency, latency_ms);
            if (status == 202) {
                status_202++;
                if (owner >= 0) accepted_by[owner]++;
            }
            else if (status == 429) status_429++;
            else status_other++;
        } else if (phase >= 0) {
            push(c->kind == PROBE_KEEPALIVE ? &healthz[phase] : &healthz_fresh[phase], latency_ms);
        }
        start += head_len + length;
    }
    memmove(c->in, c->in + start, c->in_len - start);
    c->in_len -= start;
    if (c->kind == PROBE_FRESH && !c->q_count && c->connected) close_conn(c);
}

static void read_slow(conn *c) {
    if (c->in_len >= 12 && !strncmp(c->in, "HTTP/1.1 408", 12)) {
        slow_408++;
        push(&slow_408_after, now() - c->opened_at);
    } else {
        slow_other_close++;
    }
    c->in_len = 0;
}

static void on_readable(conn *c) {
    for (;;) {
        if (c->in_cap - c->in_len < 65536) {
            c->in_cap = c->in_cap * 2 + 65536;
            c->in = realloc(c->in, c->in_cap);
        }
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (n > 0) {
            c->in_len += n;
            if (c->kind == SUB) read_subscriber(c);
            else if (c->kind != SLOW) read_responses(c);
            if (c->dead) return;
            continue;
        }
        if (n < 0 && errno == EAGAIN) return;
        // end of stream or error
        if (c->kind == SUB) sub_dropped += c->head_done;
        if (c->kind == SLOW) read_slow(c);
        close_conn(c);
        return;
    }
}

// ------------------------------------------------------------------ request writers

static char probe_request[128], fresh_request[160], authority[64];
static const char *slow_script;

static void queue_request(conn *c, const char *text, int phase, int owner) {
    int slot = (c->q_head + c->q_count) % 64;
    c->sent_at[slot] = now();
    c->phase[slot] = phase;
    c->owner[slot] = owner;
    c->q_count++;
    send_text(c, text, strlen(text));
}

static void on_connected(conn *c) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
        if (c->kind == SUB) sub_failed++;
        close_conn(c);
        return;
    }
    c->connected = 1;
    if (c->kind == SUB) {
        char request[320];
        int n = snprintf(request, sizeof request,
                         "GET /api/events HTTP/1.0\r\nHost: %s\r\nAccept: text/event-stream\r\n"
                         "Authorization: Bearer %s\r\n\r\n",
                         authority, tokens[c->principal]);
        send_text(c, request, (size_t)n);
    }
    else if (c->kind == PROBE_FRESH) {
        c->sent_at[0] = c->opened_at;  // a fresh probe's latency includes connecting
        c->q_count = 1;
        send_text(c, fresh_request, strlen(fresh_request));
    } else flush_out(c);
}

// ------------------------------------------------------------------ main

static double submit_start, submit_end, slow_start, slow_end;

static int probe_phase(double t) {
    if (t >= submit_start + 2 && t < slow_start) return 0;  // under load, no slowloris
    if (t >= slow_start + 2 && t < slow_end) return 1;      // under load, with slowloris
    return -1;
}

static void sample(double t, conn **subs) {
    if (sample_count >= 64) return;
    long live = 0;
    for (int i = 0; i < subscribers; i++) live += subs[i] && !subs[i]->dead && subs[i]->head_done;
    double *s = samples[sample_count++];
    s[0] = t;
    s[1] = rss_mib();
    s[2] = (double)count_fds();
    s[3] = cpu_seconds();
    s[4] = (double)live;
    s[5] = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &s[5]) != 1) s[5] = -1;
        fclose(f);
    }
    if (s[1] > rss_peak) rss_peak = s[1];
    if (s[2] > fds_peak) fds_peak = (long)s[2];
}

static void print_series_json(FILE *f, const char *name, series *s, int last) {
    double p50 = quantile(s, 0.5), p99 = quantile(s, 0.99), max = s->count ? s->values[s->count - 1] : -1;
    fprintf(f, "    \"%s\": {\"count\": %zu, \"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}%s\n", name,
            s->count, p50, p99, max, last ? "" : ",");
}

// Reads one token per line; returns how many.
static int read_tokens(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    int n = 0, capacity = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) continue;
        if (n == capacity) {
            capacity = capacity ? capacity * 2 : 1024;
            tokens = realloc(tokens, capacity * sizeof *tokens);
        }
        tokens[n++] = strdup(line);
    }
    fclose(f);
    return n;
}

// Who submits the k-th task: one in team_every by the team (in turn), the others round robin by the rest.
static int submitter(uint64_t k) {
    int solo = principals - team_size;
    if (team_size > 0 && (solo == 0 || (team_every > 0 && k % team_every == 0)))
        return (int)((k / (team_every > 0 ? team_every : 1)) % team_size);
    return team_size + (int)(k % solo);
}

// How many tasks a subscriber of `principal` may see: its own, or its team's.
static uint64_t expected_for(int principal) {
    if (principal >= team_size) return accepted_by[principal];
    uint64_t sum = 0;
    for (int p = 0; p < team_size; p++) sum += accepted_by[p];
    return sum;
}

int main(int argc, char **argv) {
    const char *tokens_path = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--host")) host = argv[i + 1];
        else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--pid")) server_pid = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--subscribers")) subscribers = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rate")) rate = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--duration")) duration = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--slowloris")) slow_count = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--slow-interval")) slow_interval = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--out")) out_path = argv[i + 1];
        else if (!strcmp(argv[i], "--tokens")) tokens_path = argv[i + 1];
        else if (!strcmp(argv[i], "--team-size")) team_size = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--team-every")) team_every = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--drain")) drain_limit = atof(argv[i + 1]);
        else {
            fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (!port || !server_pid || !tokens_path) {
        fprintf(stderr, "usage: loadgen --port P --pid PID --tokens FILE [options]\n");
        return 2;
    }
    principals = read_tokens(tokens_path);
    if (principals < 1 || team_size < 0 || team_size > principals) {
        fprintf(stderr, "loadgen: %s holds %d tokens; need at least one, and team-size %d at most that many\n",
                tokens_path, principals, team_size);
        return 2;
    }
    accepted_by = calloc(principals, sizeof *accepted_by);
    signal(SIGPIPE, SIG_IGN);
    t0 = 0;
    t0 = now();
    epfd = epoll_create1(EPOLL_CLOEXEC);
    snprintf(authority, sizeof authority, "%s:%d", host, port);
    snprintf(probe_request, sizeof probe_request, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", authority);
    snprintf(fresh_request, sizeof fresh_request,
             "GET /healthz HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", authority);
    static char slow_text[256];
    snprintf(slow_text, sizeof slow_text, "GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Slowloris: ", authority);
    slow_script = slow_text;

    double ramp_end = 5.0 + subscribers / 2000.0;
    submit_start = ramp_end + 2;
    submit_end = submit_start + duration;
    slow_start = submit_start + duration / 3.0;
    slow_end = submit_start + duration * 5.0 / 6.0;
    double stop_at = submit_end + 3, drain_until = submit_end + drain_limit;

    fds_before = count_fds();
    rss_before = rss_mib();
    fprintf(stderr, "server pid %d: %ld fds, %.1f MiB RSS before the run\n", server_pid, fds_before, rss_before);
    fprintf(stderr,
            "plan: %d subscribers over %d principals (team of %d) by t=%.0fs; %d submissions/s from t=%.0fs to "
            "%.0fs; %d slowloris from t=%.0fs to %.0fs\n",
            subscribers, principals, team_size, ramp_end, rate, submit_start, submit_end, slow_count, slow_start,
            slow_end);

    conn **subs = calloc(subscribers, sizeof *subs);
    enum { SUBMIT_CONNS = 16, PIPELINE = 32 };
    conn *submitters[SUBMIT_CONNS] = {0};
    conn **slow = calloc(slow_count ? slow_count : 1, sizeof *slow);
    conn *probe = open_conn(PROBE_KEEPALIVE), *fresh = NULL;
    int opened_subs = 0, next_submitter = 0;
    double next_probe = 0, next_fresh = 0, next_sample = 0, next_slow_check = 0, last_report = 0;
    struct epoll_event events[512];

    for (;;) {
        double t = now();
        // After the submissions, wait (up to --drain seconds) until every subscriber saw what it should.
        if (t >= stop_at) {
            int behind = 0;
            for (int i = 0; i < subscribers && !behind; i++)
                behind = subs[i] && !subs[i]->dead && subs[i]->head_done &&
                         subs[i]->completions < expected_for(subs[i]->principal);
            if (!behind || t >= drain_until) break;
        }
        // subscribers: ramp up 2,000 per second
        int want = t >= ramp_end ? subscribers : (int)(t / ramp_end * subscribers);
        while (opened_subs < want) {
            subs[opened_subs] = open_conn(SUB);
            if (!subs[opened_subs]) sub_failed++;
            else subs[opened_subs]->principal = opened_subs % principals;
            opened_subs++;
        }
        // submissions at a fixed rate, pipelined over a few keep-alive connections
        if (t >= submit_start && t < submit_end) {
            uint64_t target = (uint64_t)((t - submit_start) * rate);
            int tries = 0;
            while (submitted < target && tries < SUBMIT_CONNS) {
                conn *c = submitters[next_submitter];
                if (!c || c->dead) c = submitters[next_submitter] = open_conn(SUBMIT);
                int owner = submitter(submitted);
                char request[384];
                int length = snprintf(request, sizeof request,
                                      "POST /api/tools/sleep/call?task=true HTTP/1.1\r\nHost: %s\r\n"
                                      "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
                                      "Content-Length: 13\r\n\r\n{\"seconds\":0}",
                                      authority, tokens[owner]);
                if (c && c->q_count < PIPELINE && c->out_len + (size_t)length < sizeof c->out) {
                    queue_request(c, request, 0, owner);
                    submitted++;
                    tries = 0;
                } else {
                    tries++;
                }
                next_submitter = (next_submitter + 1) % SUBMIT_CONNS;
            }
        }
        // /healthz probes
        if (t >= next_probe && probe && !probe->q_count) {
            if (probe->dead) probe = open_conn(PROBE_KEEPALIVE);
            if (probe) queue_request(probe, probe_request, probe_phase(t), -1);
            next_probe = t + 0.05;
        }
        if (t >= next_fresh && (!fresh || fresh->dead)) {
            fresh = open_conn(PROBE_FRESH);
            if (fresh) {
                fresh->phase[0] = probe_phase(t);
                fresh->owner[0] = -1;
            }
            next_fresh = t + 0.1;
        }
        // slowloris: keep slow_count connections dribbling during the window
        if (t >= next_slow_check) {
            next_slow_check = t + 0.05;
            int in_window = t >= slow_start && t < slow_end;
            int opened_now = 0;
            for (int i = 0; i < slow_count; i++) {
                conn *c = slow[i];
                if (!in_window) {
                    if (c && !c->dead) close_conn(c);
                    continue;
                }
                if ((!c || c->dead) && opened_now < 50) {
                    c = slow[i] = open_conn(SLOW);
                    if (!c) continue;
                    slow_opened++;
                    opened_now++;
                    c->next_byte_at = t + (double)(i % 10) / 10.0 * slow_interval;  // staggered
                }
                if (c && !c->dead && c->connected && t >= c->next_byte_at) {
                    size_t script_len = strlen(slow_script);
                    const char *byte = c->slow_index < (int)script_len ? slow_script + c->slow_index : "a";
                    c->slow_index++;
                    send_text(c, byte, 1);
                    c->next_byte_at = t + slow_interval;
                }
            }
        }
        if (t >= next_sample) {
            sample(t, subs);
            next_sample = t + 5;
        }
        if (t - last_report >= 10) {
            last_report = t;
            fprintf(stderr, "t=%5.1fs subs %llu ok/%llu dropped, submitted %llu (202: %llu), completions seen %zu\n",
                    t, (unsigned long long)sub_connected, (unsigned long long)sub_dropped,
                    (unsigned long long)submitted, (unsigned long long)status_202, lag_all.count);
        }

        int n = epoll_wait(epfd, events, 512, 1);
        for (int i = 0; i < n; i++) {
            conn *c = events[i].data.ptr;
            if (c->dead) continue;
            if (!c->connected && (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                on_connected(c);
                if (c->dead) continue;
            } else if (events[i].events & EPOLLOUT) {
                flush_out(c);
            }
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
        }
    }

    // The end: how many subscribers are still there, then close everything and let the server settle.
    double end = now();
    long live_at_end = 0;
    for (int i = 0; i < opened_subs; i++) {
        if (!subs[i]) continue;
        live_at_end += !subs[i]->dead && subs[i]->head_done;
        push(&sub_max_lag, subs[i]->completions ? subs[i]->max_lag_ms : -1);
    }
    // Every subscriber that was connected must have seen exactly what its principal may see; the slowest
    // subscriber is the one whose own p99 lag is the highest.
    uint64_t min_completions = UINT64_MAX, max_completions = 0, expected_total = 0, seen_total = 0;
    long complete = 0, incomplete = 0, surplus = 0;
    double slowest_p50 = -1, slowest_p99 = -1, slowest_max = -1;
    int slowest = -1;
    for (int i = 0; i < opened_subs; i++) {
        conn *c = subs[i];
        if (!c || !c->head_done) continue;
        if (c->completions < min_completions) min_completions = c->completions;
        if (c->completions > max_completions) max_completions = c->completions;
        uint64_t expected = expected_for(c->principal);
        expected_total += expected;
        seen_total += c->completions;
        if (c->completions == expected && c->creations == expected) complete++;
        else if (c->completions > expected || c->creations > expected) surplus++;
        else incomplete++;
        if (c->lags.count) {
            double p99 = quantile(&c->lags, 0.99);
            if (p99 > slowest_p99) {
                slowest_p99 = p99;
                slowest_p50 = quantile(&c->lags, 0.5);
                slowest_max = c->lags.values[c->lags.count - 1];
                slowest = i;
            }
        }
    }
    if (min_completions == UINT64_MAX) min_completions = 0;
    for (int i = 0; i < opened_subs; i++)
        if (subs[i]) close_conn(subs[i]);
    for (int i = 0; i < SUBMIT_CONNS; i++)
        if (submitters[i]) close_conn(submitters[i]);
    for (int i = 0; i < slow_count; i++)
        if (slow[i]) close_conn(slow[i]);
    if (probe) close_conn(probe);
    if (fresh) close_conn(fresh);
    usleep(500 * 1000);
    fds_after_close = count_fds();
    sleep(4);
    fds_after_settle = count_fds();
    rss_after = rss_mib();

    // Subscribers with no completion at all (e.g. dropped early) count as -1 in sub_max_lag; leave them out.
    series worst = {0};
    for (size_t i = 0; i < sub_max_lag.count; i++)
        if (sub_max_lag.values[i] >= 0) push(&worst, sub_max_lag.values[i]);
    double seconds = submit_end - submit_start;

    FILE *f = fopen(out_path, "w");
    if (!f) {
        perror(out_path);
        return 1;
    }
    fprintf(f, "{\n  \"config\": {\"subscribers\": %d, \"rate_per_s\": %d, \"duration_s\": %d, \"slowloris\": %d, "
               "\"slowloris_byte_interval_s\": %.1f},\n",
            subscribers, rate, duration, slow_count, slow_interval);
    fprintf(f, "  \"subscribers\": {\"connected\": %llu, \"failed\": %llu, \"dropped_by_server\": %llu, "
               "\"live_at_end\": %ld, \"completions_seen_min\": %llu, \"completions_seen_max\": %llu,\n"
               "    \"principals\": %d, \"team_size\": %d, \"team_every\": %d, \"all_events_seen\": %ld, "
               "\"missing_events\": %ld, \"surplus_events\": %ld, \"completions_expected_total\": %llu, "
               "\"completions_seen_total\": %llu},\n",
            (unsigned long long)sub_connected, (unsigned long long)sub_failed, (unsigned long long)sub_dropped,
            live_at_end, (unsigned long long)min_completions, (unsigned long long)max_completions, principals,
            team_size, team_every, complete, incomplete, surplus, (unsigned long long)expected_total,
            (unsigned long long)seen_total);
    fprintf(f, "  \"submissions\": {\"sent\": %llu, \"accepted_202\": %llu, \"refused_429\": %llu, \"other\": %llu, "
               "\"achieved_per_s\": %.1f,\n",
            (unsigned long long)submitted, (unsigned long long)status_202, (unsigned long long)status_429,
            (unsigned long long)status_other, status_202 / seconds);
    print_series_json(f, "latency", &submit_latency, 1);
    fprintf(f, "  },\n  \"completion_lag\": {\n");
    print_series_json(f, "all_deliveries", &lag_all, 0);
    print_series_json(f, "per_subscriber_worst", &worst, 0);
    fprintf(f, "    \"slowest_subscriber\": {\"index\": %d, \"principal\": %d, \"count\": %zu, \"p50_ms\": %.2f, "
               "\"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
            slowest, slowest >= 0 ? subs[slowest]->principal : -1, slowest >= 0 ? subs[slowest]->lags.count : 0,
            slowest_p50, slowest_p99, slowest_max);
    fprintf(f, "  },\n  \"healthz\": {\n");
    print_series_json(f, "keepalive_without_slowloris", &healthz[0], 0);
    print_series_json(f, "keepalive_with_slowloris", &healthz[1], 0);
    print_series_json(f, "fresh_connection_without_slowloris", &healthz_fresh[0], 0);
    print_series_json(f, "fresh_connection_with_slowloris", &healthz_fresh[1], 1);
    fprintf(f, "  },\n  \"slowloris\": {\"opened\": %llu, \"answered_408\": %llu, \"closed_otherwise\": %llu, "
               "\"seconds_to_408_p50\": %.2f, \"seconds_to_408_max\": %.2f},\n",
            (unsigned long long)slow_opened, (unsigned long long)slow_408, (unsigned long long)slow_other_close,
            quantile(&slow_408_after, 0.5), slow_408_after.count ? slow_408_after.values[slow_408_after.count - 1] : -1);
    fprintf(f, "  \"server\": {\"fds_before\": %ld, \"fds_peak\": %ld, \"fds_after_close\": %ld, "
               "\"fds_after_settle\": %ld, \"rss_mib_before\": %.1f, \"rss_mib_peak\": %.1f, \"rss_mib_after\": %.1f,\n"
               "    \"samples\": [",
            fds_before, fds_peak, fds_after_close, fds_after_settle, rss_before, rss_peak, rss_after);
    for (int i = 0; i < sample_count; i++)
        fprintf(f,
                "%s\n      {\"t_s\": %.1f, \"rss_mib\": %.1f, \"fds\": %.0f, \"cpu_s\": %.2f, \"live_subscribers\": %.0f, "
                "\"loadavg_1m\": %.2f}",
                i ? "," : "", samples[i][0], samples[i][1], samples[i][2], samples[i][3], samples[i][4], samples[i][5]);
    fprintf(f, "\n    ]\n  },\n  \"elapsed_s\": %.1f\n}\n", end);
    fclose(f);
    return 0;
}
