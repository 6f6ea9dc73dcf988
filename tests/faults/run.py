#!/usr/bin/env python3
"""Linli under faults: does an acknowledged write survive, and does a failed one move nothing?

    python3 tests/faults/run.py            # the full suite, about 6 minutes on 2 cores
    python3 tests/faults/run.py --short    # what CI runs: shorter storms and outages

Builds the release binary, makes its own PostgreSQL 15 cluster on a spare port with
`pg_createcluster` (trust on loopback only), seeds the demo district into it, starts Linli on
loopback and, for each scenario, runs a storm of donations between residents — each with its
own idempotency key, every answer recorded — while the fault happens:

- `restart`     PostgreSQL restarted (fast shutdown) mid-storm;
- `immediate`   PostgreSQL stopped with `-m immediate` mid-storm, started again;
- `lock`        a transaction holds `ACCESS EXCLUSIVE` on the transfer table;
- `sigstop`     every process of the cluster frozen with SIGSTOP, then SIGCONT;
- `kill9`       Linli killed with SIGKILL mid-storm, started again;
- `sigterm`     Linli stopped with SIGTERM with requests in flight, started again;

and after it, with the database back: every acknowledged donation is in the ledger, no
donation answered with an error was posted, no error was `INTERNAL`, every database outage was
answered 503 `SERVICE_UNAVAILABLE` with `Retry-After` (`/readyz` 503 and `/healthz` 200 while
it lasted), and `linli ledger verify` passes. Then, without faults on the database:

- `slowloris`   hundreds of connections sending headers or bodies a byte at a time: each is
                cut off, and `/healthz` answers throughout;
- `crowd`       500 clients at once: the excess is shed with fast 503s, what is admitted
                answers within a bound, nothing else fails;
- `fuzz`        at least 2,000 generated bad requests (NUL bytes, wrong types, broken JSON,
                unknown ids, huge numbers, deep nesting): no `INTERNAL`, no 5xx.

It prints one line per scenario with what it measured (requests, acknowledged, refused, outage
seen by clients, time to recover) and exits non-zero on any failed check. The cluster is
removed at the end, whatever happened. Loopback only.
"""

import base64
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LINLI = os.path.join(os.environ.get("CARGO_TARGET_DIR", f"{ROOT}/target"), "release", "linli")
CARGO = os.environ.get("LINLI_FAULTS_CARGO", "cargo")
CLUSTER = "linli_faults"
VERSION = "15"
PG_PORT = int(os.environ.get("LINLI_FAULTS_PG_PORT", "55433"))
PORT = int(os.environ.get("LINLI_FAULTS_PORT", "18950"))
DB_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/linli"
PASSWORD = "linli-demo-2026"
SHORT = "--short" in sys.argv
STORM_WORKERS = 8
FAILURES = []


def log(*parts):
    print(*parts, flush=True)


def check(ok, what):
    if not ok:
        FAILURES.append(what)
        log(f"  FAIL {what}")


def sh(cmd, check_rc=True):
    done = subprocess.run(cmd, shell=True, text=True, capture_output=True)
    if check_rc and done.returncode != 0:
        raise RuntimeError(f"{cmd}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def psql(sql):
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", "linli",
                           "-tAq", "-F", " "], input=sql, text=True, capture_output=True, check=True)
    return done.stdout.strip()


# --- the cluster ------------------------------------------------------------------------------

def cluster_up():
    sh(f"pg_dropcluster {VERSION} {CLUSTER} --stop", check_rc=False)
    sh(f"pg_createcluster {VERSION} {CLUSTER} --port {PG_PORT} -- --auth=trust >/dev/null")
    conf = f"/etc/postgresql/{VERSION}/{CLUSTER}"
    with open(f"{conf}/pg_hba.conf", "w") as hba:
        hba.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
    with open(f"{conf}/conf.d/linli-faults.conf", "w") as extra:
        extra.write("listen_addresses = '127.0.0.1'\nmax_connections = 100\nfsync = on\n")
    pg("start")
    sh(f"psql -h 127.0.0.1 -p {PG_PORT} -U postgres -qc 'CREATE DATABASE linli'")


def cluster_down():
    sh(f"pg_dropcluster {VERSION} {CLUSTER} --stop", check_rc=False)


def pg(action, *flags):
    sh(f"pg_ctlcluster --skip-systemctl-redirect {' '.join(flags)} {VERSION} {CLUSTER} {action}")


def pg_pids():
    """The cluster's postmaster and its children."""
    data = f"/var/lib/postgresql/{VERSION}/{CLUSTER}"
    master = int(open(f"{data}/postmaster.pid").readline())
    children = [int(p) for p in sh(f"pgrep -P {master}", check_rc=False).split()]
    return [master, *children]


# --- Linli ------------------------------------------------------------------------------------

class Linli:
    def __init__(self):
        self.mail = tempfile.mkdtemp(prefix="linli-faults-mail-")
        self.proc = None

    def env(self):
        return dict(os.environ, DATABASE_URL=DB_URL, LINLI_BIND=f"127.0.0.1:{PORT}", LINLI_DEMO="off",
                    LINLI_ENV="development", LINLI_MAIL_DIR=self.mail, RUST_LOG="warn",
                    LINLI_JWT_SECRET="faults-suite-signing-key-0123456789abcdef",
                    LINLI_COST_BUDGET="100000000", LINLI_COST_RESTORE_PER_SEC="100000000",
                    LINLI_DB_LOCK_TIMEOUT_MS="1000", LINLI_DB_STATEMENT_TIMEOUT_MS="3000")

    def run(self, *args):
        return subprocess.run([LINLI, *args], env=self.env(), text=True, capture_output=True)

    def start(self):
        self.proc = subprocess.Popen([LINLI, "serve"], env=self.env(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"linli exited with {self.proc.returncode}")
            if status("/readyz") == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("linli did not become ready")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


def request(method, path, body=None, token=None, timeout=15, headers=None):
    """(status, headers, parsed body or raw text); status 0 when no answer came."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        sent = dict(headers or {})
        if body is not None and "content-type" not in {k.lower() for k in sent}:
            sent["content-type"] = "application/json"
        if token:
            sent["authorization"] = f"Bearer {token}"
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        raw = response.read().decode("utf-8", "replace")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw
        return response.status, dict(response.getheaders()), parsed
    except (OSError, http.client.HTTPException):
        return 0, {}, None
    finally:
        conn.close()


def status(path):
    return request("GET", path, timeout=2)[0]


def gql(query, variables=None, token=None, timeout=15):
    body = json.dumps({"query": query, "variables": variables or {}})
    return request("POST", "/graphql", body, token, timeout)


def must(query, variables=None, token=None):
    code, _, data = gql(query, variables, token)
    if code != 200 or not isinstance(data, dict) or data.get("errors"):
        raise RuntimeError(f"{query[:60]}…: {code} {data}")
    return data["data"]


SIGN_IN = "mutation($l: String!, $p: String!) { signIn(input: { login: $l, password: $p }) { session { accessToken } } }"
REGISTER = "mutation($i: RegisterResidentInput!) { registerResident(input: $i) { user { id } errors { code } } }"
WALLET = "{ me { wallet { id balance } } }"
ADJUST = ("mutation($i: AdjustBalanceInput!) { adjustBalance(input: $i) { transfer { id } "
          "errors { code field message } } }")
DONATE = ("mutation($i: DonatePointsInput!) { donatePoints(input: $i) { transfer { id } "
          "errors { code } } }")


def residents(staff, n, points):
    """`n` new residents, each holding `points`: (email, token) pairs."""
    people = []
    for i in range(n):
        email = f"storm-{i}-{random.getrandbits(32):08x}@faults.linli"
        must(REGISTER, {"i": {"email": email, "password": PASSWORD, "displayName": f"暴雨{i}"}})
        token = must(SIGN_IN, {"l": email, "p": PASSWORD})["signIn"]["session"]["accessToken"]
        wallet = must(WALLET, token=token)["me"]["wallet"]["id"]
        key = f"faults-fund-{i}-{random.getrandbits(48):012x}"
        adjusted = must(ADJUST, {"i": {"accountId": wallet, "change": points, "reason": "故障演练备用积分",
                                       "idempotencyKey": key}}, staff)
        assert adjusted["adjustBalance"]["transfer"], adjusted
        people.append((email, token))
    return people


# --- the storm --------------------------------------------------------------------------------

class Storm:
    """Workers donating a point each to the next resident, as fast as answers come back."""

    def __init__(self, name, people):
        self.name = name
        self.people = people
        self.answers = []  # (key, http status, code or None, transfer id or None, retry-after, seconds, at)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.work, args=(w,), daemon=True) for w in range(STORM_WORKERS)]

    def work(self, w):
        # A ring: each resident gives as much as they get, so nobody runs dry.
        giver = self.people[w % STORM_WORKERS]
        taker = self.people[(w + 1) % STORM_WORKERS]
        i = 0
        while not self.stopping.is_set():
            i += 1
            key = f"fault-{self.name}-{w}-{i}"
            started = time.time()
            code, headers, data = gql(DONATE, {"i": {"recipient": taker[0], "amount": 1, "reason": "邻里互助",
                                                     "idempotencyKey": key}}, giver[1], timeout=20)
            elapsed = time.time() - started
            error, transfer = None, None
            if code == 200 and isinstance(data, dict) and not data.get("errors"):
                payload = data["data"]["donatePoints"]
                if payload["errors"]:
                    error = payload["errors"][0]["code"]
                else:
                    transfer = payload["transfer"]["id"]
            elif isinstance(data, dict) and data.get("errors"):
                error = data["errors"][0].get("extensions", {}).get("code", "?")
            elif code:
                error = f"HTTP {code}"
            with self.lock:
                self.answers.append((key, code, error, transfer, headers.get("retry-after") or headers.get("Retry-After"),
                                     elapsed, started))
            if code != 200:
                time.sleep(0.05)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)


def raw_id(global_id):
    padded = global_id + "=" * (-len(global_id) % 4)
    return base64.urlsafe_b64decode(padded).decode().split(":", 1)[1]


def verify(linli, storm, outage=False):
    """The checks every database and process fault must pass, once the system is back."""
    acknowledged = [a for a in storm.answers if a[3]]
    refused = [a for a in storm.answers if a[2]]
    unanswered = [a for a in storm.answers if a[1] == 0]
    rows = [line.split() for line in psql(
        f"SELECT id, idempotency_key FROM transfer WHERE code = 'DONATE' AND "
        f"idempotency_key LIKE '%:fault-{storm.name}-%'").splitlines() if line]
    posted_ids = {row[0] for row in rows}
    posted_keys = {row[1].split(":", 1)[1] for row in rows}
    ids = {raw_id(a[3]) for a in acknowledged}
    check(ids <= posted_ids, f"{storm.name}: {len(ids - posted_ids)} acknowledged donations missing")
    moved = [a for a in refused if a[0] in posted_keys]
    check(not moved, f"{storm.name}: {len(moved)} donations answered with an error were posted ({moved[:3]})")
    internal = [a for a in refused if a[2] == "INTERNAL"]
    check(not internal, f"{storm.name}: {len(internal)} answers were INTERNAL")
    unavailable = [a for a in refused if a[2] == "SERVICE_UNAVAILABLE"]
    wrong_status = [a for a in unavailable if a[1] != 503 or not a[4]]
    check(not wrong_status, f"{storm.name}: SERVICE_UNAVAILABLE without 503 and Retry-After ({wrong_status[:3]})")
    other = {a[2] for a in refused} - {"SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT"}
    check(not other, f"{storm.name}: unexpected refusals {other}")
    if outage:
        check(refused or unanswered, f"{storm.name}: no client saw the outage")
    report = linli.run("ledger", "verify")
    check(report.returncode == 0, f"{storm.name}: linli ledger verify failed:\n{report.stdout}")
    # What clients saw: the longest stretch between acknowledged answers.
    times = sorted(a[6] + a[5] for a in acknowledged)
    gap = max((b - a for a, b in zip(times, times[1:])), default=0.0)
    log(f"  {storm.name}: {len(storm.answers)} requests, {len(acknowledged)} acknowledged, {len(refused)} refused "
        f"({', '.join(sorted({str(a[2]) for a in refused})) or 'none'}), {len(unanswered)} unanswered; "
        f"longest gap between acknowledgements {gap:.1f} s")
    return gap


def recovered_within(seconds):
    """Seconds until /readyz says the database is back, after a fault ends."""
    started = time.time()
    while time.time() - started < seconds:
        if status("/readyz") == 200:
            return time.time() - started
        time.sleep(0.1)
    return None


def during_outage(seconds):
    """Probes /readyz and /healthz while the database is down: (readyz codes, healthz codes)."""
    ready, health = set(), set()
    end = time.time() + seconds
    while time.time() < end:
        ready.add(status("/readyz"))
        health.add(status("/healthz"))
        time.sleep(0.3)
    return ready, health


def scenario_database(linli, people, name, fault, heal, outage_s):
    log(f"{name}:")
    with Storm(name, people) as storm:
        time.sleep(2)
        fault()
        ready, health = during_outage(outage_s)
        heal()
        back = recovered_within(60)
        time.sleep(2)
    check(back is not None, f"{name}: Linli did not recover")
    if name == "immediate":
        check(503 in ready, f"{name}: /readyz never said 503 during the outage ({ready})")
    check(health <= {200}, f"{name}: /healthz was not always 200 ({health})")
    # A frozen database only slows answers down (nothing refuses them); the others refuse.
    verify(linli, storm, outage=name != "sigstop")
    log(f"  {name}: ready again {back:.1f} s after the database came back" if back is not None else "")


def scenario_process(linli, people, name, sig):
    log(f"{name}:")
    with Storm(name, people) as storm:
        time.sleep(2)
        linli.stop(sig)
        time.sleep(1)
        started = time.time()
        linli.start()
        log(f"  {name}: restarted and ready in {time.time() - started:.1f} s")
        time.sleep(2)
    verify(linli, storm)


def scenario_slowloris(linli):
    log("slowloris:")
    count = 100 if SHORT else 300
    sockets = []
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", PORT))
        if i % 2:
            s.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 100000\r\n\r\n{")
        else:
            s.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
        sockets.append(s)
    health, slowest = set(), 0.0
    end = time.time() + (12 if SHORT else 25)
    while time.time() < end:
        for s in sockets[:20]:
            try:
                s.send(b"a")
            except OSError:
                pass
        started = time.time()
        health.add(status("/healthz"))
        slowest = max(slowest, time.time() - started)
        time.sleep(0.5)
    # Cut off: the server answered (408, 400) and closed, or just closed. Open: still waiting.
    open_ones = 0
    for s in sockets:
        s.settimeout(1)
        try:
            while s.recv(4096):
                pass
        except socket.timeout:
            open_ones += 1
        except OSError:
            pass
        s.close()
    check(health == {200}, f"slowloris: /healthz answered {health}")
    check(open_ones == 0, f"slowloris: {open_ones} slow connections still open")
    log(f"  slowloris: {count} slow connections, /healthz always 200 (slowest {slowest * 1000:.0f} ms), all cut off")


def scenario_crowd(linli, people):
    log("crowd:")
    clients = 500
    results = []
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def one(i):
        giver, taker = people[i % len(people)], people[(i + 1) % len(people)]
        gate.wait()
        started = time.time()
        code, headers, data = gql(DONATE, {"i": {"recipient": taker[0], "amount": 1, "reason": "邻里互助",
                                                 "idempotencyKey": f"fault-crowd-{i}"}}, giver[1], timeout=30)
        with lock:
            results.append((code, data, time.time() - started, headers))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    admitted = sorted(r[2] for r in results if r[0] == 200)
    shed = [r for r in results if r[0] == 503]
    other = [r for r in results if r[0] not in (200, 503)]
    p99 = admitted[int(len(admitted) * 0.99) - 1] if admitted else 0
    check(not other, f"crowd: answers other than 200 and 503: {[r[0] for r in other][:5]}")
    check(all(r[3].get("retry-after") or r[3].get("Retry-After") for r in shed), "crowd: a 503 without Retry-After")
    check(p99 < 15, f"crowd: admitted p99 {p99:.1f} s")
    log(f"  crowd: {clients} at once, {len(admitted)} admitted (p99 {p99:.2f} s), {len(shed)} shed with 503")


def fuzz_bodies(n, token_ids):
    """Generated bad requests: (content type, body)."""
    rnd = random.Random(2026)
    nasty = ["\u0000", "a\u0000b", "😀" * 50, "'; DROP TABLE transfer; --", "%00", "\ud7ff", "x" * 5000,
             "-1", "1e309", "NaN", "9" * 40, "", " ", "../../etc/passwd", "<script>", "\\u0000"]
    documents = [
        ("query($id: ID!) { node(id: $id) { id } }", lambda v: {"id": v}),
        ("query($a: String) { products(first: 5, after: $a) { totalCount } }", lambda v: {"a": v}),
        ("query($q: String) { products(first: 5, filter: { text: $q }) { totalCount } }", lambda v: {"q": v}),
        (SIGN_IN, lambda v: {"l": v, "p": v}),
        ("mutation($i: CheckInput!) { checkIn(input: $i) { errors { code } } }",
         lambda v: {"i": {"activityId": v, "code": v}}),
        (DONATE, lambda v: {"i": {"recipient": v, "amount": rnd.choice([0, -5, 10 ** 15, 1]), "reason": v,
                                  "idempotencyKey": v}}),
        ("query($n: Int) { products(first: $n) { totalCount } }", lambda v: {"n": rnd.choice([-1, 0, 10 ** 6, v])}),
        ("query($c: String!) { certificate(number: $c) { number } }", lambda v: {"c": v}),
        ("mutation($m: ID!, $c: String!) { confirmRedemption(input: { merchantId: $m, code: $c }) "
         "{ errors { code } } }", lambda v: {"m": v, "c": v}),
    ]
    for i in range(n):
        kind = i % 5
        if kind == 0:
            query, make = rnd.choice(documents)
            yield "application/json", json.dumps({"query": query, "variables": make(rnd.choice(nasty + token_ids))})
        elif kind == 1:
            depth = rnd.choice([5, 50, 500])
            yield "application/json", json.dumps({"query": "{" + " me {" * depth + " id" + "}" * (depth + 1)})
        elif kind == 2:
            raw = json.dumps({"query": "{ me { id } }"})
            cut = rnd.randrange(len(raw))
            yield "application/json", raw[:cut] + rnd.choice(nasty)
        elif kind == 3:
            yield rnd.choice(["text/plain", "application/x-www-form-urlencoded", "application/json"]), \
                rnd.choice(nasty) + "{" * rnd.randrange(3)
        else:
            query, make = rnd.choice(documents)
            variables = make(rnd.choice(nasty))
            yield "application/json", json.dumps({"query": query, "variables": variables, "operationName": rnd.choice(
                [None, "", "\u0000", "x"])})


def scenario_fuzz(linli, people):
    log("fuzz:")
    token = people[0][1]
    count = 2000
    bad = []
    codes = {}
    for i, (content_type, body) in enumerate(fuzz_bodies(count, ["VXNlcjox", "QWN0aXZpdHk6MDE5MA"])):
        code, _, data = request("POST", "/graphql", body.encode("utf-8", "surrogatepass"),
                                token if i % 2 else None, headers={"content-type": content_type})
        codes[code] = codes.get(code, 0) + 1
        text = json.dumps(data, ensure_ascii=False) if data is not None else ""
        if code == 0 or code >= 500 or '"INTERNAL"' in text:
            bad.append((code, body[:120], text[:200]))
    check(not bad, f"fuzz: {len(bad)} answers were 5xx or INTERNAL, e.g. {bad[:3]}")
    log(f"  fuzz: {count} generated requests, answers by status {dict(sorted(codes.items()))}")


def main():
    if os.geteuid() != 0:
        raise SystemExit("the fault suite makes its own PostgreSQL cluster: run it as root")
    started = time.time()
    subprocess.run(f"{CARGO} build --release -q -p linli-api --manifest-path {ROOT}/Cargo.toml", shell=True, check=True)
    cluster_up()
    linli = Linli()
    try:
        seeded = linli.run("seed", "--profile", "demo")
        if seeded.returncode != 0:
            raise RuntimeError(f"seed: {seeded.stderr}")
        linli.start()
        staff = must(SIGN_IN, {"l": "staff@linli.demo", "p": PASSWORD})["signIn"]["session"]["accessToken"]
        people = residents(staff, 10, 1000)
        outage = 5 if SHORT else 20
        scenario_database(linli, people, "restart", lambda: pg("restart"), lambda: None, 1)
        scenario_database(linli, people, "immediate", lambda: pg("stop", "-m", "immediate"),
                          lambda: pg("start"), outage)
        locker = {}

        def lock():
            locker["p"] = subprocess.Popen(
                ["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", "linli", "-qc",
                 f"BEGIN; LOCK TABLE transfer IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({outage}); COMMIT;"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        scenario_database(linli, people, "lock", lock, lambda: locker["p"].wait(), outage)
        frozen = {}

        def freeze():
            frozen["pids"] = pg_pids()
            for pid in frozen["pids"]:
                os.kill(pid, signal.SIGSTOP)

        def thaw():
            for pid in frozen["pids"]:
                os.kill(pid, signal.SIGCONT)

        scenario_database(linli, people, "sigstop", freeze, thaw, outage)
        scenario_process(linli, people, "kill9", signal.SIGKILL)
        scenario_process(linli, people, "sigterm", signal.SIGTERM)
        scenario_slowloris(linli)
        scenario_crowd(linli, people)
        scenario_fuzz(linli, people)
        final = linli.run("ledger", "verify")
        check(final.returncode == 0, f"final ledger verify failed:\n{final.stdout}")
        with open(f"/proc/{linli.proc.pid}/status") as proc_status:
            peak = next((int(line.split()[1]) // 1024 for line in proc_status if line.startswith("VmHWM")), 0)
        log(f"memory high-water mark of the last Linli process: {peak} MiB")
    finally:
        linli.stop(signal.SIGKILL)
        cluster_down()
    log(f"fault suite {'(short) ' if SHORT else ''}took {(time.time() - started) / 60:.1f} min: "
        f"{'FAILED: ' + str(len(FAILURES)) + ' checks' if FAILURES else 'every check passed'}")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
