"""Prints the summary table of a load-test report (artifacts/load-test.json) and records how the server ended.

    python3 scripts/load/summary.py artifacts/load-test.json [--server-alive yes|no] [--exit-status N]
        [--check --bound lag_p99_ms=MS --bound healthz_p99_ms=MS --bound fd_slack=N --bound rss_peak_mib=MIB
         --bound rss_after_mib=MIB]
"""

import argparse
import json
import sys

parser = argparse.ArgumentParser()
parser.add_argument("report")
parser.add_argument("--server-alive", default="?")
parser.add_argument("--exit-status", default="?")
parser.add_argument("--check", action="store_true", help="assert the bounds; exit 1 if one fails")
parser.add_argument("--bound", action="append", default=[], metavar="NAME=VALUE")
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
    ("principals", f"{subs['principals']} (the first {subs['team_size']} share a team that submits one task in "
                   f"{subs['team_every']}); subscriber i signs in as principal i mod {subs['principals']}"),
    ("events per subscriber", f"{subs['all_events_seen']} saw every event they may see, {subs['missing_events']} "
                              f"missed some, {subs['surplus_events']} saw too many; completions "
                              f"{subs['completions_seen_total']} of {subs['completions_expected_total']} expected, "
                              f"{subs['completions_seen_min']} .. {subs['completions_seen_max']} per subscriber"),
    ("submissions", f"{sub['sent']} sent, {sub['accepted_202']} accepted (202), {sub['refused_429']} 429, "
                    f"{sub['other']} other; {sub['achieved_per_s']:.0f}/s achieved"),
    ("submit latency", ms(sub["latency"])),
    ("completion lag, all", ms(lag["all_deliveries"])),
    ("lag, worst per subscriber", ms(lag["per_subscriber_worst"])),
    ("lag, slowest subscriber", ms(lag["slowest_subscriber"])),
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

# ------------------------------------------------------------------ pass/fail
# Each bound comes from load-test.sh's environment (documented there) through --bound NAME=VALUE.
if args.check:
    bound = dict(item.split("=", 1) for item in args.bound)
    expected_sent = c["rate_per_s"] * c["duration_s"]
    hz_with = [hz["keepalive_with_slowloris"], hz["fresh_connection_with_slowloris"]]
    checks = [
        (f"the generator sent at least 99% of the {expected_sent} planned submissions",
         sub["sent"] >= 0.99 * expected_sent),
        (f"every submission was accepted (202): {sub['accepted_202']} of {sub['sent']}",
         sub["accepted_202"] == sub["sent"]),
        (f"every subscriber connected and stayed: {subs['connected']} of {c['subscribers']}, "
         f"{subs['dropped_by_server']} dropped, {subs['live_at_end']} live at the end",
         subs["connected"] == c["subscribers"] and subs["failed"] == 0 and subs["dropped_by_server"] == 0
         and subs["live_at_end"] == c["subscribers"]),
        (f"every subscriber saw exactly the events it may see: {subs['all_events_seen']} of {subs['connected']}",
         subs["all_events_seen"] == subs["connected"] and subs["missing_events"] == 0
         and subs["surplus_events"] == 0 and subs["completions_expected_total"] > 0),
        (f"slowest subscriber's lag p99 {lag['slowest_subscriber']['p99_ms']:.0f} ms <= {bound['lag_p99_ms']} ms",
         0 <= lag["slowest_subscriber"]["p99_ms"] <= float(bound["lag_p99_ms"])),
        (f"/healthz p99 during slowloris (keep-alive {hz_with[0]['p99_ms']:.0f} ms, new connection "
         f"{hz_with[1]['p99_ms']:.0f} ms) <= {bound['healthz_p99_ms']} ms",
         all(s["count"] > 0 and s["p99_ms"] <= float(bound["healthz_p99_ms"]) for s in hz_with)),
        (f"the header timeout closed the slowloris connections: {slow['answered_408']} 408s of {slow['opened']} "
         f"opened, none answered otherwise",
         slow["opened"] >= c["slowloris"] and slow["answered_408"] >= c["slowloris"]
         and slow["closed_otherwise"] == 0),
        (f"descriptors after the clients left {srv['fds_after_settle']} <= before {srv['fds_before']} + "
         f"{bound['fd_slack']}", 0 <= srv["fds_after_settle"] <= srv["fds_before"] + int(bound["fd_slack"])),
        (f"RSS peak {srv['rss_mib_peak']:.0f} MiB <= {bound['rss_peak_mib']} MiB",
         0 < srv["rss_mib_peak"] <= float(bound["rss_peak_mib"])),
        (f"RSS after the clients left {srv['rss_mib_after']:.0f} MiB <= {bound['rss_after_mib']} MiB",
         0 < srv["rss_mib_after"] <= float(bound["rss_after_mib"])),
        ("the server was alive after the run and exited 0 on SIGTERM",
         args.server_alive == "yes" and args.exit_status == "0"),
    ]
    print()
    failed = 0
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
        failed += not ok
    print(f"load-test: {len(checks) - failed} passed, {failed} failed")
    r["checks"] = [{"check": text, "passed": ok} for text, ok in checks]
    with open(args.report, "w") as f:
        json.dump(r, f, indent=2)
    sys.exit(1 if failed else 0)
