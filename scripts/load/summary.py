"""Prints the summary table of a load-test report (artifacts/load-test.json) and records how the server ended.

    python3 scripts/load/summary.py artifacts/load-test.json [--server-alive yes|no] [--exit-status N]
"""

import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("--server-alive", default="?")
parser.add_argument("--exit-status", default="?")
args = parser.parse_args()
with open(args.report) as f:
    r = json.load(f)
r["server"]["alive_after_run"] = args.server_alive
r["server"]["exit_status_after_sigterm"] = args.exit_status
with open(args.report, "w") as f:
    json.dump(r, f, indent=2)

c, subs, sub, lag, hz, slow, srv = (r["config"], r["subscribers"], r["submissions"], r["completion_lag"],
                                    r["healthz"], r["slowloris"], r["server"])


def ms(s):
    return f"p50 {s['p50_ms']:.1f} / p99 {s['p99_ms']:.1f} / max {s['max_ms']:.1f} ms  (n={s['count']})"


rows = [
    ("configuration", f"{c['subscribers']} SSE subscribers, {c['rate_per_s']} submissions/s for {c['duration_s']} s, "
                      f"{c['slowloris']} slowloris (1 byte / {c['slowloris_byte_interval_s']} s)"),
    ("subscribers", f"{subs['connected']} connected, {subs['failed']} failed, {subs['dropped_by_server']} dropped by "
                    f"the server, {subs['live_at_end']} live at the end"),
    ("completions seen", f"{subs['completions_seen_min']} .. {subs['completions_seen_max']} per subscriber "
                         f"(of {sub['accepted_202']} tasks)"),
    ("submissions", f"{sub['sent']} sent, {sub['accepted_202']} accepted (202), {sub['refused_429']} 429, "
                    f"{sub['other']} other; {sub['achieved_per_s']:.0f}/s achieved"),
    ("submit latency", ms(sub["latency"])),
    ("completion lag, all", ms(lag["all_deliveries"])),
    ("lag, worst per subscriber", ms(lag["per_subscriber_worst"])),
    ("/healthz keep-alive, no slowloris", ms(hz["keepalive_without_slowloris"])),
    ("/healthz keep-alive, slowloris", ms(hz["keepalive_with_slowloris"])),
    ("/healthz new conn, no slowloris", ms(hz["fresh_connection_without_slowloris"])),
    ("/healthz new conn, slowloris", ms(hz["fresh_connection_with_slowloris"])),
    ("slowloris", f"{slow['opened']} opened, {slow['answered_408']} got 408 after p50 {slow['seconds_to_408_p50']:.1f} s "
                  f"(max {slow['seconds_to_408_max']:.1f} s), {slow['closed_otherwise']} closed otherwise"),
    ("server RSS", f"{srv['rss_mib_before']:.0f} MiB before, {srv['rss_mib_peak']:.0f} peak, "
                   f"{srv['rss_mib_after']:.0f} after"),
    ("server descriptors", f"{srv['fds_before']} before, {srv['fds_peak']} peak, {srv['fds_after_close']} 0.5 s after "
                           f"the clients left, {srv['fds_after_settle']} after 4.5 s"),
    ("server after the run", f"alive: {args.server_alive}, exit status after SIGTERM: {args.exit_status}"),
]
width = max(len(name) for name, _ in rows)
print()
print("=" * 30 + " load test summary " + "=" * 30)
for name, value in rows:
    print(f"{name:<{width}}  {value}")
print("RSS / descriptors / CPU over time (every 5 s):")
for s in srv["samples"]:
    print(f"  t={s['t_s']:5.1f}s  rss {s['rss_mib']:7.1f} MiB  fds {s['fds']:6.0f}  cpu {s['cpu_s']:7.2f} s  "
          f"live subscribers {s['live_subscribers']:5.0f}  machine load {s.get('loadavg_1m', -1):.1f}")
