#!/usr/bin/env python3
"""Is the staff dashboard fast at ten times the district? Each of its figures, timed alone.

    python3 tests/bench/dashboard.py        # ~10 minutes on 2 cores, most of it seeding

Builds the release binary, seeds `--profile district --scale 10` into a fresh local PostgreSQL
database (LINLI_BENCH_REUSE=1 keeps one seeded before), starts Linli on loopback with the
request budgets lifted (one staff member asks hundreds of aggregates in a row), signs in as the
seeded staff member and times, over one kept-alive connection, 50 answers of each query after
5 warm-up ones:

- the baseline, `{ ledgerTotals { issued } }`: the whole request path (gate, token, one read
  transaction of four primary-key-less sums over the account table) for the cheapest staff
  read, measured in the same run;
- each dashboard figure alone (`dashboard { pointsByMonth { … } }` …), then the whole
  dashboard in one request, unfiltered and narrowed to one community and one year;
- the other insight queries: `impact`, `impactTable`, `liability`, a page of
  `organisationBudgets`, `attendanceReport` and `residentHours`.

It prints p50/p95/max per query and the p95's ratio to the baseline, writes the table into
docs/PERFORMANCE.md between the dashboard markers and the raw output into
tests/bench/results/dashboard.txt. The target is a p95 under 200 ms for each dashboard figure.
"""

import http.client
import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (the shared harness: servers, seeding, psql)

RUNS = int(os.environ.get("LINLI_BENCH_RUNS", "50"))
WARM = 5
DB = "linli_bench_dashboard_x10"
# How cargo is invoked (a machine shared by several builds wraps it in a lock).
CARGO = os.environ.get("LINLI_BENCH_CARGO", "cargo")
UNLIMITED = {"LINLI_COST_BUDGET": "100000000", "LINLI_COST_RESTORE_PER_SEC": "100000000"}
TARGET_MS = 200

BASELINE = "{ ledgerTotals { issued } }"
FIGURES = {
    "pointsByMonth": "pointsByMonth { month earned redeemed }",
    "hoursByCommunity": "hoursByCommunity { communityId communityName activities participations hours }",
    "productsByCategory": "productsByCategory { categoryId categoryName count }",
    "organisationsByCategory": "organisationsByCategory { categoryId categoryName count }",
    "needsByCommunity": "needsByCommunity { communityId communityName opened matched closed }",
    "merchantsByRedemptions": "merchantsByRedemptions { merchantId shopName redemptions points }",
}
OTHERS = {
    "impact(by: COMMUNITY)": "{ impact(by: COMMUNITY) { key name serviceHours pointsEarned } }",
    "impact(by: ORGANISATION)": "{ impact(by: ORGANISATION) { key name serviceHours pointsEarned } }",
    "impactTable": "{ impactTable { communityId categoryId organisationId figures { serviceHours pointsEarned } } }",
    "liability": "{ liability { month issued outstanding inWallets held redeemed expired } }",
    "organisationBudgets(first: 20)": "{ organisationBudgets(first: 20) { totalCount nodes { name balance allocated paidOut residentsPaid } } }",
    "attendanceReport(first: 20)": "{ attendanceReport(first: 20) { totalCount nodes { title verified hours points } } }",
    "residentHours(first: 20)": "{ residentHours(first: 20) { totalCount nodes { name hours points } } }",
}


def dashboard(fields, filter_literal=""):
    return f"{{ dashboard{filter_literal} {{ {fields} }} }}"


class Client:
    """One kept-alive connection, as a staff member's browser holds it."""

    def __init__(self, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", bench.PORT, timeout=120)
        self.headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}

    def ask(self, query):
        body = json.dumps({"query": query})
        started = time.monotonic()
        self.conn.request("POST", "/graphql", body, self.headers)
        response = self.conn.getresponse()
        answer = json.loads(response.read())
        elapsed = (time.monotonic() - started) * 1000
        if response.status != 200 or "errors" in answer:
            raise RuntimeError(f"{query}: {response.status} {json.dumps(answer, ensure_ascii=False)[:500]}")
        return elapsed, answer

    def timed(self, name, query):
        for _ in range(WARM):
            self.ask(query)
        latencies = sorted(self.ask(query)[0] for _ in range(RUNS))
        at = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]  # noqa: E731
        result = {"p50": at(0.50), "p95": at(0.95), "max": latencies[-1], "runs": len(latencies)}
        bench.log(f"{name}: {json.dumps(result)}")
        return result


def seeded(db):
    """Whether `db` holds a seeded district already (its staff member exists)."""
    try:
        return bench.psql(db, "SELECT count(*) FROM app_user WHERE email = 'staff@linli.demo'") == "1"
    except subprocess.CalledProcessError:
        return False


def main():
    started = time.time()
    commit = bench.sh(f"git -C {bench.ROOT} rev-parse --short HEAD").strip()
    bench.log(f"Linli dashboard benchmark · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit}")
    bench.sh(f"{CARGO} build --release -p linli-api --manifest-path {bench.ROOT}/Cargo.toml")
    env = dict(os.environ, LINLI_DEMO="off", LINLI_ENV="development", RUST_LOG="warn", DATABASE_URL=f"{bench.PG}/{DB}")
    if os.environ.get("LINLI_BENCH_REUSE") == "1" and seeded(DB):
        bench.log(f"reusing the seeded {DB}")
        # The binary may carry migrations the seeded database has not run yet.
        subprocess.run([bench.LINLI, "migrate"], env=env, check=False, capture_output=True)
    else:
        bench.fresh_db(DB)
        t = time.time()
        subprocess.run([bench.LINLI, "seed", "--profile", "district", "--scale", "10"], env=env,
                       check=True, capture_output=True)
        bench.log(f"seed district x10: {time.time() - t:.1f} s")
    sizes = {table: int(bench.psql(DB, f"SELECT count(*) FROM {table}"))
             for table in ["app_user", "organisation", "activity", "participation", "product", "redemption", "transfer", "need"]}
    bench.log(f"rows: {json.dumps(sizes)}")
    bench.psql(DB, "ANALYZE")

    server = bench.Server(DB, UNLIMITED)
    try:
        client = Client(bench.sign_in("staff@linli.demo"))
        community = client.ask("{ communities(first: 1) { nodes { id } } }")[1]["data"]["communities"]["nodes"][0]["id"]
        year = datetime.now(timezone.utc).year
        narrowed = f'(filter: {{ communityId: "{community}", from: "{year - 1}-01-01T00:00:00Z", to: "{year + 1}-01-01T00:00:00Z" }})'
        results = {"baseline: ledgerTotals": client.timed("baseline", BASELINE)}
        for name, fields in FIGURES.items():
            results[f"dashboard.{name}"] = client.timed(name, dashboard(fields))
        whole = " ".join(FIGURES.values())
        results["dashboard, all six figures"] = client.timed("whole dashboard", dashboard(whole))
        results["dashboard, all six, one community and year"] = client.timed("narrowed dashboard", dashboard(whole, narrowed))
        for name, query in OTHERS.items():
            results[name] = client.timed(name, query)
    finally:
        server.stop()
    report(results, sizes, commit, time.time() - started)


def report(results, sizes, commit, elapsed):
    base = results["baseline: ledgerTotals"]
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`, {os.cpu_count()} cores, PostgreSQL 15 "
        f"local, district seed at ×10 ({sizes['app_user']:,} users, {sizes['organisation']:,} organisations, "
        f"{sizes['activity']:,} activities, {sizes['participation']:,} participations, {sizes['product']:,} products, "
        f"{sizes['redemption']:,} redemptions, {sizes['transfer']:,} transfers); each query {RUNS} times in a row on one "
        f"connection after {WARM} warm-up answers, the whole HTTP request timed; whole run {elapsed / 60:.1f} min.",
        "",
        "| query | p50 ms | p95 ms | max ms | p95 ÷ baseline p95 | p95 < 200 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        met = "–" if name.startswith("baseline") else ("yes" if r["p95"] < TARGET_MS else "NO")
        lines.append(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.0f} | {r['p95'] / base['p95']:.1f} | {met} |")
    figures = [r for name, r in results.items() if name.startswith("dashboard.")]
    worst = max(r["p95"] for r in figures)
    lines += ["", f"Target: each dashboard figure answers in under {TARGET_MS} ms at p95 on PostgreSQL at ×10 — "
                  f"slowest figure {worst:.1f} ms ({'met' if worst < TARGET_MS else 'NOT met'})."]
    table = "\n".join(lines)
    bench.log(table)
    os.makedirs(f"{bench.ROOT}/tests/bench/results", exist_ok=True)
    open(f"{bench.ROOT}/tests/bench/results/dashboard.txt", "w").write("\n".join(bench.RAW) + "\n")
    doc = f"{bench.ROOT}/docs/PERFORMANCE.md"
    text = open(doc).read()
    start, end = "<!-- dashboard:start -->", "<!-- dashboard:end -->"
    text = text[: text.index(start)] + f"{start}\n{table}\n{end}" + text[text.index(end) + len(end):]
    open(doc, "w").write(text)


if __name__ == "__main__":
    try:
        main()
    finally:
        for proc in bench.SERVERS:
            if proc.poll() is None:
                proc.kill()
