#!/usr/bin/env python3
"""How long do the review rules take over ten times the district? Their first run, timed.

    python3 tests/bench/review.py        # ~20 minutes on 2 cores, most of it seeding

Builds the release binary, seeds `--profile district --scale 10` into a local PostgreSQL
database (the dashboard benchmark's: LINLI_BENCH_REUSE=1 keeps one seeded before) and copies it
(`CREATE DATABASE … TEMPLATE`), so that the rules' cases and holds never touch the seeded one.
The seed signs nobody in, so a day of sign-ins is added with SQL: one per resident, about four
accounts per client address, and twenty addresses with fifteen accounts each.

Then, in the same run: `linli ledger verify` (every invariant over every transfer: the
baseline, a full read of the ledger), `linli review run` with every cursor empty (the first run
over the whole history, as a new deployment's first sweep does: every rule page by page until
caught up), `linli review run` again (nothing new: the sweeper's usual hourly run) and `linli
ledger verify` once more, which must pass with the cases' holds posted. The target is the first
run under a minute.

It prints each rule's rows, pages, cases and seconds, writes the table into
docs/PERFORMANCE.md between the review markers and the raw output into
tests/bench/results/review.txt.
"""

import json
import os
import re
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard  # noqa: E402  (its seeded ×10 database)
import run as bench  # noqa: E402  (the shared harness: seeding, psql)

DB = "linli_bench_review_x10"
TARGET_S = 60
CARGO = os.environ.get("LINLI_BENCH_CARGO", "cargo")

SIGN_INS = """
INSERT INTO client_sighting (address, day, user_id, seen_at)
SELECT CASE WHEN n <= 300 THEN '203.0.113.' || (n % 20)
            ELSE '10.' || (n % 250) || '.' || ((n / 250) % 250) || '.' || (n % 7) END,
       '2026-11-30', id, TIMESTAMP '2026-11-30 01:00:00' + n * INTERVAL '100 milliseconds'
FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM app_user WHERE role = 'RESIDENT') r
"""


def timed(args, env):
    started = time.time()
    done = subprocess.run([bench.LINLI, *args], env=env, capture_output=True, text=True)
    elapsed = time.time() - started
    if done.returncode != 0:
        bench.log(done.stdout, done.stderr)
        raise SystemExit(f"linli {' '.join(args)} failed")
    return elapsed, done.stdout


def rules(output):
    """Per rule: rows, pages, cases and seconds, from `linli review run`."""
    found = {}
    for line in output.splitlines():
        m = re.match(r"(\w+)\s+(\d+) rows\s+(\d+) pages\s+(\d+) cases opened\s+([\d.]+) s", line)
        if m:
            found[m[1]] = {"rows": int(m[2]), "pages": int(m[3]), "cases": int(m[4]), "s": float(m[5])}
    if not found:
        raise SystemExit(f"no rules in the output of linli review run:\n{output}")
    return found


def main():
    started = time.time()
    commit = bench.sh(f"git -C {bench.ROOT} rev-parse --short HEAD").strip()
    bench.log(f"Linli review-rules benchmark · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit}")
    bench.sh(f"{CARGO} build --release -p linli-api --manifest-path {bench.ROOT}/Cargo.toml")
    # An operator's command over the whole ledger runs longer than a request may.
    seeded_env = dict(os.environ, LINLI_DEMO="off", LINLI_ENV="development", RUST_LOG="warn",
                      LINLI_DB_STATEMENT_TIMEOUT_MS="600000",
                      DATABASE_URL=f"{bench.PG}/{dashboard.DB}")
    if os.environ.get("LINLI_BENCH_REUSE") == "1" and dashboard.seeded(dashboard.DB):
        bench.log(f"reusing the seeded {dashboard.DB}")
    else:
        bench.fresh_db(dashboard.DB)
        t = time.time()
        subprocess.run([bench.LINLI, "seed", "--profile", "district", "--scale", "10"], env=seeded_env,
                       check=True, capture_output=True)
        bench.log(f"seed district x10: {time.time() - t:.1f} s")
    bench.sh(f"psql '{bench.PG}/postgres' -qc 'DROP DATABASE IF EXISTS {DB} WITH (FORCE)' "
             f"-c 'CREATE DATABASE {DB} TEMPLATE {dashboard.DB}'")
    env = dict(seeded_env, DATABASE_URL=f"{bench.PG}/{DB}")
    # The binary may carry migrations the seeded database has not run yet.
    subprocess.run([bench.LINLI, "migrate"], env=env, check=True, capture_output=True)
    bench.psql(DB, " ".join(SIGN_INS.split()))
    bench.psql(DB, "VACUUM ANALYZE")
    sizes = {table: int(bench.psql(DB, f"SELECT count(*) FROM {table}"))
             for table in ["app_user", "participation", "transfer", "redemption", "organisation_member",
                           "client_sighting"]}
    bench.log(f"rows: {json.dumps(sizes)}")

    baseline, _ = timed(["ledger", "verify"], env)
    bench.log(f"baseline: linli ledger verify {baseline:.2f} s")
    first, out = timed(["review", "run"], env)
    bench.log(out.rstrip())
    bench.log(f"first run: {first:.2f} s")
    again, out_again = timed(["review", "run"], env)
    bench.log(out_again.rstrip())
    bench.log(f"second run (nothing new): {again:.2f} s")
    after, report_after = timed(["ledger", "verify"], env)
    bench.log(report_after.rstrip())
    held = int(bench.psql(DB, "SELECT COALESCE(SUM(amount), 0) FROM transfer WHERE code = 'REVIEW_HOLD'"))
    report(rules(out), first, again, baseline, after, held, sizes, commit, time.time() - started)


def report(per_rule, first, again, baseline, after, held, sizes, commit, elapsed):
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`, {os.cpu_count()} cores, PostgreSQL 15 "
        f"local, district seed at ×10 ({sizes['app_user']:,} users, {sizes['participation']:,} participations, "
        f"{sizes['transfer']:,} transfers, {sizes['redemption']:,} redemptions, {sizes['organisation_member']:,} "
        f"memberships) and a day of {sizes['client_sighting']:,} sign-ins; whole run {elapsed / 60:.1f} min. "
        f"Each figure is the whole `linli` command (start, connect, work).",
        "",
        "| rule | rows read | pages | cases opened | seconds |",
        "|---|---|---|---|---|",
    ]
    for rule, r in per_rule.items():
        lines.append(f"| `{rule}` | {r['rows']:,} | {r['pages']} | {r['cases']} | {r['s']:.2f} |")
    met = "yes" if first < TARGET_S else "NO"
    lines += [
        "",
        "| run | seconds | ÷ baseline | under a minute |",
        "|---|---|---|---|",
        f"| baseline: `linli ledger verify` | {baseline:.2f} | 1.0 | – |",
        f"| first run of every rule (cursors empty) | {first:.2f} | {first / baseline:.1f} | {met} |",
        f"| second run (nothing new) | {again:.2f} | {again / baseline:.2f} | – |",
        f"| `linli ledger verify` after, with {held:,} points held | {after:.2f} | {after / baseline:.1f} | – |",
    ]
    table = "\n".join(lines)
    path = f"{bench.ROOT}/docs/PERFORMANCE.md"
    text = open(path, encoding="utf-8").read()
    start, end = "<!-- review:start -->", "<!-- review:end -->"
    if start not in text:
        raise SystemExit(f"{path} has no {start} marker")
    before, rest = text.split(start, 1)
    _, after_text = rest.split(end, 1)
    open(path, "w", encoding="utf-8").write(f"{before}{start}\n{table}\n{end}{after_text}")
    os.makedirs(f"{bench.ROOT}/tests/bench/results", exist_ok=True)
    open(f"{bench.ROOT}/tests/bench/results/review.txt", "w", encoding="utf-8").write("\n".join(bench.RAW) + "\n")
    print(table)


if __name__ == "__main__":
    main()
