#!/usr/bin/env python3
"""Linli under load on PostgreSQL, beside a peer GraphQL server and the database's own ceiling.

    python3 tests/bench/run.py            # the whole run, ~25 minutes on 2 cores

Builds the release binary, seeds the district into a fresh local PostgreSQL database, starts
Linli on loopback, drives each scenario with wrk (32 connections, after a warm-up), measures
the baselines in the same run (PostGraphile v4 on the same database; pgbench's TPC-B-like
script; the wallet at 10x the district), then writes the table into docs/PERFORMANCE.md and the
raw output into tests/bench/results/latest.txt. Ratios matter; absolute numbers drift.
"""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The release binary, wherever cargo puts it (CI keeps build outputs outside the clone).
LINLI = os.path.join(os.environ.get("CARGO_TARGET_DIR", f"{ROOT}/target"), "release", "linli")
PG = os.environ.get("LINLI_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PORT, PEER_PORT = 18900, 18901
DURATION = int(os.environ.get("LINLI_BENCH_SECONDS", "20"))
WARMUP = 5
CONNECTIONS = 32
PASSWORD = "linli-demo-2026"
RAW = []


def log(*parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    RAW.append(line)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, text=True, capture_output=True, **kw).stdout


def psql(db, sql):
    return sh(f"psql '{PG}/{db}' -tAqc \"{sql}\"").strip()


def fresh_db(name):
    sh(f"psql '{PG}/postgres' -qc 'DROP DATABASE IF EXISTS {name} WITH (FORCE)' -c 'CREATE DATABASE {name}'")


def gql(query, variables=None, token=None, port=PORT):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body, {"content-type": "application/json"})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as r:
        data = json.loads(r.read())
    # A refusal in a mutation's payload (`errors { code }`) fails the setup as loudly as a
    # top-level error: a scenario measured on a refused setup measures nothing.
    payloads = (data.get("data") or {}).values()
    if "errors" in data or any(isinstance(p, dict) and p.get("errors") for p in payloads):
        raise RuntimeError(json.dumps(data, ensure_ascii=False))
    return data["data"]


def sign_in(login):
    q = "mutation($l: String!, $p: String!) { signIn(input: { login: $l, password: $p }) { session { accessToken } } }"
    return gql(q, {"l": login, "p": PASSWORD})["signIn"]["session"]["accessToken"]


def pg_cpu_seconds():
    """CPU time of every PostgreSQL process now running (the pool's backends live as long as
    a scenario, so the difference across one is what the database spent on it)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        name, rest = stat.split("(", 1)[1].rsplit(")", 1)
        if name == "postgres":
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


SERVERS = []


class Server:
    def __init__(self, db, extra_env=None):
        env = dict(os.environ, DATABASE_URL=f"{PG}/{db}", LINLI_BIND=f"127.0.0.1:{PORT}", LINLI_DEMO="off", LINLI_ENV="development",
                   LINLI_MAIL_DIR=tempfile.mkdtemp(), LINLI_DB_POOL_SIZE="16", RUST_LOG="warn",
                   LINLI_JWT_SECRET="benchmark-signing-key-0123456789abcdef",
                   # Every client here is one loopback address: lift the per-client budget
                   # (docs/API.md), which would otherwise measure the throttle, not the server.
                   LINLI_COST_BUDGET="100000000", LINLI_COST_RESTORE_PER_SEC="100000000", **(extra_env or {}))
        self.proc = subprocess.Popen([LINLI, "serve"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        SERVERS.append(self.proc)
        for _ in range(100):
            if self.proc.poll() is not None:
                raise RuntimeError(f"linli exited with {self.proc.returncode} (is port {PORT} taken?)")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1)
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError("linli did not start")

    def cpu_seconds(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_mib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
        return 0

    def statements(self):
        text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics").read().decode()
        m = re.search(r"^linli_db_statements_total (\d+)", text, re.M)
        return int(m.group(1)) if m else 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


LUA = r"""
-- `errors` is global so that done() can read each thread's count.
bodies = {}
tokens = {}
counter = 0
errors = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do table.insert(bodies, line) end
  local tf = os.getenv("BENCH_TOKENS")
  if tf ~= nil and tf ~= "" then for line in io.lines(tf) do table.insert(tokens, line) end end
end
function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  body = string.gsub(body, "KEY", tid .. "-" .. counter .. "-" .. os.time())
  local headers = { ["content-type"] = "application/json" }
  if #tokens > 0 then headers["authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] end
  return wrk.format("POST", "/graphql", headers, body)
end
function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors":%[{') then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  io.write(string.format("RESULT %d %.2f %.3f %.3f %.3f %d\n", summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000, e + summary.errors.status))
end
"""


def wrk(name, bodies, tokens=None, port=PORT, connections=CONNECTIONS, duration=DURATION, background=False):
    tmp = tempfile.mkdtemp()
    script, body_file, token_file = f"{tmp}/s.lua", f"{tmp}/bodies", f"{tmp}/tokens"
    open(script, "w").write(LUA)
    open(body_file, "w").write("\n".join(json.dumps(b, ensure_ascii=False) for b in bodies) + "\n")
    if tokens:
        open(token_file, "w").write("\n".join(tokens) + "\n")
    env = dict(os.environ, BENCH_BODIES=body_file, BENCH_TOKENS=token_file if tokens else "")
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "-s", script, f"http://127.0.0.1:{port}"]
    if background:
        return subprocess.Popen(cmd, env=env, text=True, stdout=subprocess.PIPE)
    done = subprocess.run(cmd, env=env, text=True, capture_output=True)
    return parse(name, done.stdout + done.stderr)


def parse(name, out):
    RAW.append(f"--- wrk {name}\n{out}")
    m = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not m:
        raise RuntimeError(f"wrk {name} failed:\n{out}")
    n, rps, p50, p99, mx, errors = m.groups()
    return {"requests": int(n), "rps": float(rps), "p50": float(p50), "p99": float(p99), "max": float(mx), "errors": int(errors)}


def measured(server, db, name, run):
    """Warm up, then run once more while watching CPU, statements and PostgreSQL's counters."""
    run(WARMUP)
    cpu, pg_cpu, stmts = server.cpu_seconds(), pg_cpu_seconds(), server.statements()
    xacts = int(psql(db, f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{db}'"))
    result = run(DURATION)
    time.sleep(0.6)
    n = max(result["requests"], 1)
    result["cpu"] = (server.cpu_seconds() - cpu) * 1000 / n
    result["pg_cpu"] = (pg_cpu_seconds() - pg_cpu) * 1000 / n
    result["stmts"] = (server.statements() - stmts) / n
    result["xacts"] = (int(psql(db, f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{db}'")) - xacts) / n
    result["mem"] = server.peak_mib()
    log(f"{name}: {json.dumps(result)}")
    return result


# The app's catalogue page.
CATALOGUE = ("{ products(first: 20) { totalCount edges { node { title summary priceTier priceYuan pricePoints "
             "organisation { name } category { nameZh } communities { name } } } } }")
PEER_PAGE_LINLI = "{ products(first: 50) { edges { node { title organisation { name } category { nameZh } } } } }"
PEER_PAGE = '{ allProducts(first: 50, condition: { status: "PUBLISHED" }, orderBy: ID_DESC) { nodes { title organisationByOrganisationId { name } categoryByCategoryId { nameZh } } } }'
SEARCH = '{ products(filter: { text: "老年人 助餐" }, first: 20) { totalCount edges { node { title organisation { name } } } } }'
WALLET = "{ me { wallet { balance history(first: 20) { edges { node { change counterpart { name } transfer { reason createdAt } } } } } } }"
REDEEM = 'mutation { redeemReward(input: { rewardId: "REWARD", idempotencyKey: "bench-KEY" }) { redemption { code } errors { code } } }'
SIGN_IN = 'mutation { signIn(input: { login: "LOGIN", password: "' + PASSWORD + '" }) { session { accessToken } errors { code } } }'


def prepare(db):
    """Tokens, a long wallet history and an unlimited reward, through the API."""
    staff = sign_in("staff@linli.demo")
    long_history = "resident19999@linli.demo"
    token = sign_in(long_history)
    wallet = gql("{ me { wallet { id } } }", token=token)["me"]["wallet"]["id"]
    adjust = "mutation($i: AdjustBalanceInput!) { adjustBalance(input: $i) { errors { code } } }"
    for i in range(1000):
        gql(adjust, {"i": {"accountId": wallet, "change": 1 + i % 5, "reason": "志愿服务补录", "idempotencyKey": f"bench-history-{i:05d}"}}, staff)
    operator = sign_in("resident00001@linli.demo")
    orgs = gql("{ myOrganisations { organisation { merchant { id } } } }", token=operator)["myOrganisations"]
    merchant = next(o["organisation"]["merchant"]["id"] for o in orgs if o["organisation"]["merchant"])
    reward = gql("mutation($i: CreateRewardInput!) { createReward(input: $i) { reward { id } errors { code } } }",
                 {"i": {"merchantId": merchant, "title": "压测奖励", "description": "不限量", "pointsPrice": 5}}, operator)["createReward"]["reward"]["id"]
    # Redeemers who are not members of the merchant's organisation: a member redeeming at
    # their own shop is refused (SELF_DEALING), rightly, and would count as errors here.
    merchant_raw = base64.urlsafe_b64decode(merchant + "=" * (-len(merchant) % 4)).decode().split(":", 1)[1]
    emails = psql(db, "SELECT string_agg(email, ',' ORDER BY email) FROM (SELECT email FROM app_user u "
                      "WHERE email LIKE 'resident10%@linli.demo' AND NOT EXISTS (SELECT 1 FROM organisation_member m "
                      f"JOIN merchant s ON s.organisation_id = m.organisation_id WHERE s.id = '{merchant_raw}' "
                      "AND m.user_id = u.id) ORDER BY email LIMIT 100) r").split(",")
    redeemers = []
    for i, email in enumerate(emails):
        t = sign_in(email)
        w = gql("{ me { wallet { id } } }", token=t)["me"]["wallet"]["id"]
        # Each adjustment below the dual-control amount (LINLI_DUAL_CONTROL_POINTS, 1,000),
        # which one staff member may post alone: 10,000 points, 2,000 redemptions each.
        for part in range(10):
            gql(adjust, {"i": {"accountId": w, "change": 1000, "reason": "压测积分",
                               "idempotencyKey": f"bench-fund-{i:05d}-{part}"}}, staff)
        redeemers.append(t)
    return {"wallet_token": token, "redeemers": redeemers, "reward": reward, "operator": operator, "merchant": merchant}


def main():
    started = time.time()
    commit = sh(f"git -C {ROOT} rev-parse --short HEAD").strip()
    log(f"Linli benchmark · {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC · commit {commit} · {os.cpu_count()} cores")
    sh(f"cargo build --release -p linli-api --manifest-path {ROOT}/Cargo.toml")
    env = dict(os.environ, LINLI_DEMO="off", LINLI_ENV="development", RUST_LOG="warn")
    db = "linli_bench"
    fresh_db(db)
    t = time.time()
    subprocess.run([LINLI, "seed", "--profile", "district"], env=dict(env, DATABASE_URL=f"{PG}/{db}"),
                   check=True, capture_output=True)
    log(f"seed district: {time.time() - t:.1f} s")
    # What autovacuum would do within minutes of a bulk load: without statistics and a
    # visibility map the planner scans and sorts the whole catalogue for each page.
    psql(db, "VACUUM ANALYZE")

    server = Server(db)
    fx = prepare(db)
    results = {}
    results["catalogue"] = measured(server, db, "catalogue", lambda d: wrk("catalogue", [{"query": CATALOGUE}], duration=d))
    results["search"] = measured(server, db, "search", lambda d: wrk("search", [{"query": SEARCH}], duration=d))
    results["wallet"] = measured(server, db, "wallet", lambda d: wrk("wallet", [{"query": WALLET}], [fx["wallet_token"]], duration=d))
    # The same wallet while the in-server relay drains a backlog: the seed's messages queued
    # again and copies of them added up to 30,000, all due. Background work runs on its own
    # small pool, so the wallet's tail should not move.
    psql(db, "UPDATE outbox_message SET status = 'QUEUED', attempts = 0, next_attempt_at = '2000-01-01', "
             "claimed_by = NULL, lease_until = NULL, sent_at = NULL")
    psql(db, "INSERT INTO outbox_message (id, user_id, recipient, template, subject, body_text, body_html, status, "
             "attempts, next_attempt_at, created_at) SELECT gen_random_uuid()::text, user_id, recipient, template, "
             "subject, body_text, body_html, 'QUEUED', 0, '2000-01-01', created_at FROM outbox_message, "
             "generate_series(1, 30000 / GREATEST((SELECT count(*) FROM outbox_message), 1)::int + 1) "
             "LIMIT GREATEST(30000 - (SELECT count(*) FROM outbox_message), 0)")
    queued = int(psql(db, "SELECT count(*) FROM outbox_message WHERE status = 'QUEUED'"))
    results["wallet beside relay"] = measured(server, db, "wallet beside relay",
                                              lambda d: wrk("wallet beside relay", [{"query": WALLET}], [fx["wallet_token"]], duration=d))
    left = int(psql(db, "SELECT count(*) FROM outbox_message WHERE status = 'QUEUED'"))
    results["wallet beside relay"]["relayed"] = f"{queued - left:,} of {queued:,}"
    log(f"relay: {queued - left} of {queued} queued messages sent while the wallet ran")
    # The next scenarios run without the relay's backlog beside them.
    for _ in range(600):
        if int(psql(db, "SELECT count(*) FROM outbox_message WHERE status = 'QUEUED'")) == 0:
            break
        time.sleep(1)
    redeem = [{"query": REDEEM.replace("REWARD", fx["reward"])}]
    results["redeem"] = measured(server, db, "redeem", lambda d: wrk("redeem", redeem, fx["redeemers"], duration=d))
    # Confirmation: the merchant confirms a sample of the held redemptions (codes are only
    # shown to the resident, so the harness reads them from the residents' own lists).
    confirmed, t = 0, time.time()
    for token in fx["redeemers"][:20]:
        mine = gql("{ myRedemptions(first: 5) { edges { node { code } } } }", token=token)["myRedemptions"]["edges"]
        for edge in mine:
            if edge["node"]["code"]:
                gql("mutation($m: ID!, $c: String!) { confirmRedemption(input: { merchantId: $m, code: $c }) { errors { code } } }",
                    {"m": fx["merchant"], "c": edge["node"]["code"]}, fx["operator"])
                confirmed += 1
    log(f"confirmed {confirmed} redemptions sequentially in {time.time() - t:.1f} s")

    # Sign-in load beside the catalogue: both measured at once.
    logins = [{"query": SIGN_IN.replace("LOGIN", f"resident{i:05d}@linli.demo")} for i in range(2000, 2200)]
    wrk("warm", [{"query": CATALOGUE}], duration=WARMUP)
    cpu, pg_cpu = server.cpu_seconds(), pg_cpu_seconds()
    bg = wrk("sign-in", logins, connections=8, background=True)
    results["catalogue+sign-in"] = wrk("catalogue beside sign-in", [{"query": CATALOGUE}])
    results["sign-in"] = parse("sign-in", bg.communicate()[0])
    # Both ran at once, so their CPU is shared out over the requests of both.
    n = results["catalogue+sign-in"]["requests"] + results["sign-in"]["requests"]
    for k in ("catalogue+sign-in", "sign-in"):
        results[k].update(cpu=(server.cpu_seconds() - cpu) * 1000 / n, pg_cpu=(pg_cpu_seconds() - pg_cpu) * 1000 / n,
                          stmts=None, xacts=None, mem=server.peak_mib())
    results["peer-linli"] = measured(server, db, "catalogue page (peer shape)", lambda d: wrk("peer shape", [{"query": PEER_PAGE_LINLI}], duration=d))
    server.stop()
    # The same pages with the page cache off: what the database path alone does.
    server = Server(db, {"LINLI_CATALOGUE_CACHE_MS": "0"})
    results["catalogue uncached"] = measured(server, db, "catalogue without the cache", lambda d: wrk("catalogue uncached", [{"query": CATALOGUE}], duration=d))
    results["peer-linli uncached"] = measured(server, db, "peer shape without the cache", lambda d: wrk("peer shape uncached", [{"query": PEER_PAGE_LINLI}], duration=d))
    server.stop()
    page_ceiling = pgbench_page(db)
    verify = subprocess.run([LINLI, "ledger", "verify"], env=dict(env, DATABASE_URL=f"{PG}/{db}"),
                            capture_output=True, text=True)
    log(verify.stdout)
    ledger_ok = verify.returncode == 0

    # Peer: PostGraphile v4 on the same database. It names the self-relation of transfer
    # reversals twice over unless told otherwise (a comment PostGraphile reads, nothing more).
    psql(db, "COMMENT ON CONSTRAINT transfer_reverses_id_fkey ON transfer IS E'@foreignSingleFieldName reversal'")
    peer = subprocess.Popen(["npx", "-y", "postgraphile@4", "-c", f"{PG}/{db}", "--host", "127.0.0.1", "--port", str(PEER_PORT),
                             "--disable-query-log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        for _ in range(240):
            try:
                gql(PEER_PAGE, port=PEER_PORT)
                break
            except Exception:
                time.sleep(0.5)
        wrk("peer warm", [{"query": PEER_PAGE}], port=PEER_PORT, duration=WARMUP)
        results["postgraphile"] = wrk("postgraphile", [{"query": PEER_PAGE}], port=PEER_PORT)
    finally:
        # npx runs PostGraphile as its child: stop the whole group, or node outlives the run.
        os.killpg(peer.pid, signal.SIGTERM)
        peer.wait()

    # Ceiling: pgbench's TPC-B-like script at the same client count.
    fresh_db("linli_pgbench")
    sh(f"pgbench -q -i -s 10 '{PG}/linli_pgbench'")
    out = sh(f"pgbench -n -c {CONNECTIONS} -j 2 -T {DURATION} '{PG}/linli_pgbench'")
    RAW.append(out)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))

    # Growth: the wallet scenario at ten times the district.
    db10 = "linli_bench_x10"
    fresh_db(db10)
    t = time.time()
    subprocess.run([LINLI, "seed", "--profile", "district", "--scale", "10"],
                   env=dict(env, DATABASE_URL=f"{PG}/{db10}"), check=True, capture_output=True)
    log(f"seed district x10: {time.time() - t:.1f} s")
    psql(db10, "VACUUM ANALYZE")
    server = Server(db10)
    wallet10 = prepare(db10)["wallet_token"]
    results["wallet x10"] = measured(server, db10, "wallet x10", lambda d: wrk("wallet x10", [{"query": WALLET}], [wallet10], duration=d))
    server.stop()

    report(results, tps, page_ceiling, ledger_ok, commit, time.time() - started)


def pgbench_page(db):
    """pgbench sending the uncached catalogue page's own two statements, as Linli sends them
    (the page joined with its organisations and counted in a subquery; then the served
    communities of its products), each pair one pgbench transaction: the database's ceiling
    for that page on this machine."""
    def columns(table, alias):
        return psql(db, f"SELECT string_agg('{alias}.' || column_name, ', ' ORDER BY ordinal_position) "
                        f"FROM information_schema.columns WHERE table_name = '{table}' AND column_name <> 'search_vector'")
    ids = psql(db, "SELECT string_agg(id, ',') FROM (SELECT id FROM product WHERE status = 'PUBLISHED' "
                   "ORDER BY id DESC LIMIT 21) p")
    script = tempfile.mktemp(suffix=".sql")
    open(script, "w").write(
        f"SELECT {columns('product', 'p')}, {columns('organisation', 'o')}, "
        "(SELECT count(*) FROM product WHERE status = 'PUBLISHED' LIMIT 1) "
        "FROM product p JOIN organisation o ON o.id = p.organisation_id WHERE p.status = 'PUBLISHED' "
        "ORDER BY p.id DESC LIMIT 21;\n"
        f"SELECT pc.product_id, {columns('community', 'c')} FROM product_community pc "
        f"JOIN community c ON c.id = pc.community_id WHERE pc.product_id = ANY('{{{ids}}}'::text[]);\n")
    out = sh(f"pgbench -n -M prepared -f {script} -c {CONNECTIONS} -j 2 -T {DURATION} '{PG}/{db}'")
    RAW.append(out)
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    log(f"pgbench of the page's own SQL: {tps:.0f} pages/s")
    return tps


def report(r, tps, page_ceiling, ledger_ok, commit, elapsed):
    def row(name, x):
        s = lambda v, f: "–" if v is None else f.format(v)
        # A tail: p99 more than five times p50.
        tail = " ⚠ tail" if x["p50"] > 0 and x["p99"] / x["p50"] > 5 else ""
        return (f"| {name}{tail} | {x['rps']:.0f} | {x['p50']:.1f} | {x['p99']:.1f} | {x['max']:.0f} | {x['errors']} | "
                f"{s(x.get('stmts'), '{:.1f}')} | {s(x.get('xacts'), '{:.2f}')} | {s(x.get('cpu'), '{:.2f}')} | "
                f"{s(x.get('pg_cpu'), '{:.2f}')} | {s(x.get('mem'), '{:.0f}')} |")
    lines = [
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit `{commit}`, {os.cpu_count()} cores, PostgreSQL 15 local, "
        f"wrk 2 threads × {CONNECTIONS} connections, {DURATION} s per scenario after a {WARMUP} s warm-up; whole run {elapsed / 60:.1f} min.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | max ms | errors | SQL stmts/req | PG xacts/req | Linli CPU ms/req | PG CPU ms/req | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ["catalogue", "catalogue uncached", "search", "wallet", "wallet beside relay", "redeem", "catalogue+sign-in", "sign-in", "wallet x10",
                 "peer-linli", "peer-linli uncached", "postgraphile"]:
        lines.append(row(name, r[name]))
    peer, linli, uncached = r["postgraphile"], r["peer-linli"], r["peer-linli uncached"]
    lines += [
        "",
        "| ratio | measured | target |",
        "|---|---|---|",
        f"| catalogue page (page cache): Linli ÷ PostGraphile throughput | {linli['rps'] / peer['rps']:.2f}× | ≥ 5× |",
        f"| catalogue page (page cache): Linli p99 ÷ PostGraphile p99 | {linli['p99'] / peer['p99']:.2f} | < 1 |",
        f"| catalogue page without the cache: Linli ÷ PostGraphile throughput | {uncached['rps'] / peer['rps']:.2f}× | – |",
        f"| app's catalogue page without the cache ÷ pgbench of its own SQL ({page_ceiling:.0f} pages/s) | "
        f"{r['catalogue uncached']['rps'] / page_ceiling:.0%} | – |",
        f"| redemptions/s ÷ pgbench TPC-B-like tps ({tps:.0f}) | {r['redeem']['rps'] / tps:.0%} | ≥ 50% |",
        f"| wallet p99 ÷ p50 | {r['wallet']['p99'] / r['wallet']['p50']:.1f} | ≤ 3 |",
        f"| wallet p99 beside the relay ({r['wallet beside relay']['relayed']} sent) ÷ alone | {r['wallet beside relay']['p99'] / r['wallet']['p99']:.2f} | ≈ 1 |",
        f"| wallet p50 at 10× ÷ at 1× | {r['wallet x10']['p50'] / r['wallet']['p50']:.2f} | ≤ 1.2 |",
        f"| catalogue p99 while sign-ins run | {r['catalogue+sign-in']['p99']:.0f} ms | < 100 ms |",
        f"| `linli ledger verify` after the redemption scenario | {'passed' if ledger_ok else 'FAILED'} | passes |",
    ]
    table = "\n".join(lines)
    log(table)
    os.makedirs(f"{ROOT}/tests/bench/results", exist_ok=True)
    open(f"{ROOT}/tests/bench/results/latest.txt", "w").write("\n".join(RAW) + "\n")
    doc = f"{ROOT}/docs/PERFORMANCE.md"
    text = open(doc).read()
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    if start in text:
        text = text[: text.index(start)] + f"{start}\n{table}\n{end}" + text[text.index(end) + len(end):]
    else:
        text += f"\n## Latest run\n\n{start}\n{table}\n{end}\n"
    open(doc, "w").write(text)
    if not ledger_ok:
        sys.exit(1)


def ensure_wrk():
    if not shutil.which("wrk"):
        subprocess.run("apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk)", shell=True, check=True)


if __name__ == "__main__":
    ensure_wrk()
    try:
        main()
    finally:
        # Never leave one of our servers behind on the benchmark port.
        for proc in SERVERS:
            if proc.poll() is None:
                proc.kill()
