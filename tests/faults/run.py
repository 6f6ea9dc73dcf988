#!/usr/bin/env python3
"""Linli under faults: does an acknowledged write survive, and does a failed one move nothing?

    python3 tests/faults/run.py            # the full suite, about 6 minutes on 2 cores
    python3 tests/faults/run.py --short    # what CI runs: shorter storms and outages
    python3 tests/faults/run.py --only=instances,failover   # just those scenarios

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
STANDBY = "linli_faults_standby"
VERSION = "15"
# Below the ephemeral range (32768 and up), so no outgoing connection can hold the port.
PG_PORT = int(os.environ.get("LINLI_FAULTS_PG_PORT", "25433"))
STANDBY_PORT = PG_PORT + 1
PORT = int(os.environ.get("LINLI_FAULTS_PORT", "18950"))
SECOND_PORT = PORT + 1
LB_PORT = PORT + 10
# libpq's own failover: both servers, and only the one that takes writes. Until the standby
# exists nothing listens on its port, and libpq just tries the next host.
DB_URL = (f"postgres://postgres@127.0.0.1:{PG_PORT},127.0.0.1:{STANDBY_PORT}/linli"
          "?target_session_attrs=read-write&connect_timeout=2")
# The server psql checks the ledger on: the primary, then the promoted standby.
PRIMARY = {"port": PG_PORT}
PASSWORD = "linli-demo-2026"
SHORT = "--short" in sys.argv
# `--only=instances,failover` runs just those scenarios (while working on one of them).
ONLY = next((set(a.split("=", 1)[1].split(",")) for a in sys.argv if a.startswith("--only=")), None)
STORM_WORKERS = 8
FAILURES = []


def log(*parts):
    print(*parts, flush=True)


REPORT = {}  # scenario: what it measured, for docs/OPERATIONS.md


def measured(scenario, text):
    if text:
        log(f"  {scenario}: {text}")
        REPORT.setdefault(scenario, []).append(text)


def write_report(minutes, peak):
    """The full run's figures into docs/OPERATIONS.md, between the fault markers."""
    lines = ["| scenario | measured |", "|---|---|"]
    lines += [f"| `{name}` | {'; '.join(texts)} |" for name, texts in REPORT.items()]
    lines += ["", f"The whole run took {minutes:.1f} min; the last Linli process's resident memory peaked at "
              f"{peak} MiB (VmHWM). Commit {sh('git -C ' + ROOT + ' rev-parse --short HEAD').strip()}, "
              f"{time.strftime('%Y-%m-%d', time.gmtime())}."]
    path = os.path.join(ROOT, "docs", "OPERATIONS.md")
    text = open(path, encoding="utf-8").read()
    start, end = "<!-- faults:start -->", "<!-- faults:end -->"
    before, rest = text.split(start, 1)
    after = rest.split(end, 1)[1]
    with open(path, "w", encoding="utf-8") as doc:
        doc.write(before + start + "\n" + "\n".join(lines) + "\n" + end + after)


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
    done = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(PRIMARY["port"]), "-U", "postgres", "-d", "linli",
                           "-tAq", "-F", " "], input=sql, text=True, capture_output=True, check=True)
    return done.stdout.strip()


# --- the cluster ------------------------------------------------------------------------------

def drop(cluster):
    # pg_dropcluster leaves behind the files it did not create (this suite's conf.d ones).
    sh(f"pg_dropcluster {VERSION} {cluster} --stop", check_rc=False)
    sh(f"rm -rf /etc/postgresql/{VERSION}/{cluster} /var/lib/postgresql/{VERSION}/{cluster}")


def cluster_up():
    cluster_down()
    sh(f"pg_createcluster {VERSION} {CLUSTER} --port {PG_PORT} -- --auth=trust >/dev/null")
    conf = f"/etc/postgresql/{VERSION}/{CLUSTER}"
    with open(f"{conf}/pg_hba.conf", "w") as hba:
        hba.write("local all all trust\nhost all all 127.0.0.1/32 trust\n"
                  "host replication all 127.0.0.1/32 trust\n")
    with open(f"{conf}/conf.d/linli-faults.conf", "w") as extra:
        extra.write("listen_addresses = '127.0.0.1'\nmax_connections = 100\nfsync = on\n")
    pg("start")
    sh(f"psql -h 127.0.0.1 -p {PG_PORT} -U postgres -qc 'CREATE DATABASE linli'")


def cluster_down():
    for cluster in (STANDBY, CLUSTER):
        drop(cluster)


def pg(action, *flags, cluster=CLUSTER):
    sh(f"pg_ctlcluster --skip-systemctl-redirect {' '.join(flags)} {VERSION} {cluster} {action}")


def standby_up():
    """A hot standby of the cluster, streaming from it synchronously: a commit is acknowledged
    only once the standby has it, so promoting the standby loses no acknowledged write."""
    drop(STANDBY)
    sh(f"pg_createcluster {VERSION} {STANDBY} --port {STANDBY_PORT} >/dev/null")
    conf, data = f"/etc/postgresql/{VERSION}/{STANDBY}", f"/var/lib/postgresql/{VERSION}/{STANDBY}"
    sh(f"find {data} -mindepth 1 -delete && runuser -u postgres -- pg_basebackup -h 127.0.0.1 -p {PG_PORT} -U postgres "
       f"-D {data} -R -X stream -c fast")
    with open(f"{conf}/pg_hba.conf", "w") as hba:
        hba.write("local all all trust\nhost all all 127.0.0.1/32 trust\n"
                  "host replication all 127.0.0.1/32 trust\n")
    with open(f"{conf}/conf.d/linli-faults.conf", "w") as extra:
        extra.write("listen_addresses = '127.0.0.1'\nmax_connections = 100\n")
    pg("start", cluster=STANDBY)
    # Synchronous only now that the standby streams: set in the primary's own configuration
    # file (not ALTER SYSTEM, which the base backup would carry to the standby, whose commits
    # would then wait for a standby of its own once promoted).
    with open(f"/etc/postgresql/{VERSION}/{CLUSTER}/conf.d/linli-sync.conf", "w") as sync:
        sync.write("synchronous_standby_names = '*'\n")
    pg("reload")
    deadline = time.time() + 30
    while time.time() < deadline:
        if psql("SELECT sync_state FROM pg_stat_replication") == "sync":
            return
        time.sleep(0.2)
    raise RuntimeError("the standby did not become synchronous")


def pg_pids():
    """The cluster's postmaster and its children."""
    data = f"/var/lib/postgresql/{VERSION}/{CLUSTER}"
    master = int(open(f"{data}/postmaster.pid").readline())
    children = [int(p) for p in sh(f"pgrep -P {master}", check_rc=False).split()]
    return [master, *children]


# --- Linli ------------------------------------------------------------------------------------

class Linli:
    def __init__(self, port=PORT, mail=None, **extra):
        self.port = port
        self.extra = extra
        self.mail = mail or tempfile.mkdtemp(prefix="linli-faults-mail-")
        self.proc = None

    def env(self):
        return dict(os.environ, DATABASE_URL=DB_URL, LINLI_BIND=f"127.0.0.1:{self.port}", LINLI_DEMO="off",
                    LINLI_ENV="development", LINLI_MAIL_DIR=self.mail, RUST_LOG="warn",
                    LINLI_TRUSTED_PROXIES="127.0.0.1/32", LINLI_RELAY_INTERVAL_SECS="1",
                    LINLI_JWT_SECRET="faults-suite-signing-key-0123456789abcdef",
                    LINLI_COST_BUDGET="100000000", LINLI_COST_RESTORE_PER_SEC="100000000",
                    LINLI_DB_LOCK_TIMEOUT_MS="1000", LINLI_DB_STATEMENT_TIMEOUT_MS="3000", **self.extra)

    def run(self, *args):
        return subprocess.run([LINLI, *args], env=self.env(), text=True, capture_output=True)

    def logged(self, needle, most=3):
        """The last lines of this server's log that hold `needle`, to print with a failure."""
        try:
            with open(os.path.join(self.mail, f"linli-{self.port}.log"), errors="replace") as log_file:
                lines = [line.rstrip() for line in log_file if needle in line]
        except FileNotFoundError:
            return ""
        return "".join(f"\n    logged: {line[:600]}" for line in lines[-most:])

    def start(self):
        # The server's log beside its mail: a check that fails says what the server logged.
        with open(os.path.join(self.mail, f"linli-{self.port}.log"), "ab") as log_file:
            self.proc = subprocess.Popen([LINLI, "serve"], env=self.env(), stdout=subprocess.DEVNULL,
                                         stderr=log_file)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"linli exited with {self.proc.returncode}")
            if status("/readyz", self.port) == 200:
                return
            time.sleep(0.1)
        raise RuntimeError("linli did not become ready")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


def request(method, path, body=None, token=None, timeout=15, headers=None, port=PORT):
    """(status, headers, parsed body or raw text); status 0 when no answer came."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
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


def status(path, port=PORT):
    return request("GET", path, timeout=2, port=port)[0]


def gql(query, variables=None, token=None, timeout=15, port=PORT):
    body = json.dumps({"query": query, "variables": variables or {}})
    return request("POST", "/graphql", body, token, timeout, port=port)


def must(query, variables=None, token=None, port=PORT):
    code, _, data = gql(query, variables, token, port=port)
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

    def __init__(self, name, people, port=PORT):
        self.name = name
        self.people = people
        self.port = port
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
                                                     "idempotencyKey": key}}, giver[1], timeout=20,
                           port=self.port)
            elapsed = time.time() - started
            if code in (502, 504):
                # The balancer lost the instance mid-request: no answer, as from a killed server.
                code, data = 0, None
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
    # Lost answers said out loud: the commit's reply never came (OUTCOME_UNKNOWN), or the
    # deadline answered while the work went on (REQUEST_TIMEOUT); either may have been kept.
    unknown = [a for a in refused if a[2] in ("OUTCOME_UNKNOWN", "REQUEST_TIMEOUT")]
    refused = [a for a in refused if a not in unknown]
    moved = [a for a in refused if a[0] in posted_keys]
    check(not moved, f"{storm.name}: {len(moved)} donations answered with an error were posted ({moved[:3]})")
    internal = [a for a in refused if a[2] == "INTERNAL"]
    check(not internal, f"{storm.name}: {len(internal)} answers were INTERNAL{linli.logged('internal error')}")
    unavailable = [a for a in refused + unknown if a[2] in ("SERVICE_UNAVAILABLE", "OUTCOME_UNKNOWN")]
    wrong_status = [a for a in unavailable if a[1] != 503 or not a[4]]
    check(not wrong_status, f"{storm.name}: SERVICE_UNAVAILABLE without 503 and Retry-After ({wrong_status[:3]})")
    other = {a[2] for a in refused} - {"SERVICE_UNAVAILABLE", "REQUEST_TIMEOUT"}
    check(not other, f"{storm.name}: unexpected refusals {other}")
    if outage:
        check(refused or unanswered or unknown, f"{storm.name}: no client saw the outage")
    report = linli.run("ledger", "verify")
    check(report.returncode == 0, f"{storm.name}: linli ledger verify failed:\n{report.stdout}")
    # What clients saw: the longest stretch between acknowledged answers.
    times = sorted(a[6] + a[5] for a in acknowledged)
    gap = max((b - a for a, b in zip(times, times[1:])), default=0.0)
    measured(storm.name, f"{len(storm.answers)} requests, {len(acknowledged)} acknowledged, {len(refused)} refused "
        f"({', '.join(sorted({str(a[2]) for a in refused})) or 'none'}), {len(unanswered)} unanswered, "
        f"{len(unknown)} outcome unknown ({sum(a[0] in posted_keys for a in unknown)} of them kept); "
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
    measured(name, f"ready again {back:.1f} s after the database came back" if back is not None else "")


def scenario_process(linli, people, name, sig):
    log(f"{name}:")
    with Storm(name, people) as storm:
        time.sleep(2)
        linli.stop(sig)
        time.sleep(1)
        started = time.time()
        linli.start()
        measured(name, f"restarted and ready in {time.time() - started:.1f} s")
        time.sleep(2)
    verify(linli, storm)


RESET = "mutation($e: String!) { requestPasswordReset(input: { email: $e }) { errors { code } } }"


def mails_to(mail_dir, recipient):
    count = 0
    for name in os.listdir(mail_dir):
        with open(os.path.join(mail_dir, name), encoding="utf-8", errors="replace") as message:
            count += recipient in message.read()
    return count


def scenario_instances(linli, people):
    """Two instances behind HAProxy (deploy/haproxy.cfg) on one PostgreSQL, one killed mid-storm."""
    log("instances:")
    second = Linli(SECOND_PORT, mail=linli.mail)
    second.start()
    env = dict(os.environ, LINLI_LB_BIND=f"127.0.0.1:{LB_PORT}", LINLI_INSTANCE_A=f"127.0.0.1:{PORT}",
               LINLI_INSTANCE_B=f"127.0.0.1:{SECOND_PORT}")
    balancer = subprocess.Popen(["haproxy", "-db", "-f", os.path.join(ROOT, "deploy", "haproxy.cfg")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 15
        while status("/readyz", LB_PORT) != 200:
            if balancer.poll() is not None or time.time() > deadline:
                raise RuntimeError("the load balancer did not start (haproxy -c -f deploy/haproxy.cfg)")
            time.sleep(0.1)
        # Throttles are shared: five wrong passwords spread over both instances lock the account.
        email = f"throttle-{random.getrandbits(32):08x}@faults.linli"
        must(REGISTER, {"i": {"email": email, "password": PASSWORD, "displayName": "限流"}}, port=LB_PORT)
        for _ in range(5):
            gql(SIGN_IN, {"l": email, "p": "not-the-password"}, port=LB_PORT)
        code, _, data = gql(SIGN_IN, {"l": email, "p": PASSWORD}, port=LB_PORT)
        locked = code == 429 and "RATE_LIMITED" in json.dumps(data)
        check(locked, f"instances: the sixth sign-in through the balancer was not throttled ({code})")
        # Both relays drain one outbox: every message is sent once, by one of them.
        before = {p[0]: mails_to(linli.mail, p[0]) for p in people}
        for p in people:
            must(RESET, {"e": p[0]}, port=LB_PORT)
        deadline = time.time() + 30
        waiting = "1"
        while waiting != "0" and time.time() < deadline:
            time.sleep(0.5)
            waiting = psql("SELECT count(*) FROM outbox_message WHERE template = 'RESET_PASSWORD' "
                           "AND status <> 'SENT'")
        time.sleep(1)
        twice = [p[0] for p in people if mails_to(linli.mail, p[0]) - before[p[0]] != 1]
        check(waiting == "0", f"instances: {waiting} reset emails never sent")
        check(not twice, f"instances: reset emails not sent exactly once to {twice}")
        with Storm("instances", people, port=LB_PORT) as storm:
            time.sleep(2)
            second.stop(signal.SIGKILL)
            time.sleep(4)
            second.start()
            time.sleep(3)
        gap = verify(linli, storm)
        # The balancer caps one address's open connections: the 101st is refused at once.
        idle = [socket.create_connection(("127.0.0.1", LB_PORT)) for _ in range(100)]
        time.sleep(0.3)
        code = status("/healthz", LB_PORT)
        for s in idle:
            s.close()
        time.sleep(0.3)
        check(code == 0, f"instances: a 101st connection from one address was served ({code})")
        check(status("/healthz", LB_PORT) == 200, "instances: the balancer did not serve again")
        measured("instances", f"one of two killed mid-storm, longest gap {gap:.1f} s; throttle shared: "
            f"{'yes' if locked else 'no'}; {len(people)} reset emails each sent once by two relays; "
            f"101st connection from one address refused")
    finally:
        balancer.terminate()
        balancer.wait(timeout=10)
        second.stop(signal.SIGKILL)


def scenario_failover(linli, people):
    """The primary stopped dead mid-storm and its synchronous standby promoted: Linli, given
    both hosts in DATABASE_URL, follows it without a restart."""
    log("failover:")
    with Storm("failover", people) as storm:
        time.sleep(2)
        pg("stop", "-m", "immediate")
        stopped = time.time()
        time.sleep(1)
        pg("promote", cluster=STANDBY)
        PRIMARY["port"] = STANDBY_PORT
        back = recovered_within(60)
        time.sleep(3)
    check(back is not None, "failover: Linli did not follow the promoted standby")
    gap = verify(linli, storm, outage=True)
    measured("failover", f"writes again {time.time() - stopped - 3:.1f} s after the primary died "
        f"(standby promoted after 1 s), longest gap {gap:.1f} s, no restart of Linli")


def metric(port, name):
    code, _, text = request("GET", "/metrics", port=port)
    for line in text.splitlines() if code == 200 and isinstance(text, str) else []:
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_metric(port, name, value, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if metric(port, name) == value:
            return True
        time.sleep(0.1)
    return False


CATALOGUE = "{ products(first: 5) { totalCount edges { node { title } } } }"


def public_reads(port, n):
    """`n` anonymous catalogue pages: how many were answered 200 without errors."""
    good = 0
    for _ in range(n):
        code, _, data = gql(CATALOGUE, port=port)
        good += code == 200 and isinstance(data, dict) and not data.get("errors")
    return good


def scenario_replica(linli, people):
    """An instance with LINLI_DATABASE_REPLICA_URL: anonymous queries read from the standby
    while it keeps up, and from the primary while it lags or is down."""
    log("replica:")
    reader = Linli(SECOND_PORT, mail=linli.mail,
                   LINLI_DATABASE_REPLICA_URL=f"postgres://postgres@127.0.0.1:{STANDBY_PORT}/linli?connect_timeout=1",
                   LINLI_REPLICA_MAX_LAG_MS="1000", LINLI_DB_CHECKOUT_TIMEOUT_MS="1000",
                   # Without the page cache: a page made for it is read on the primary (it is
                   # kept under the primary's catalogue version), so with it the standby would
                   # see one read in fifty.
                   LINLI_CATALOGUE_CACHE_MS="0")
    reader.start()
    standby_sql = ["psql", "-h", "127.0.0.1", "-p", str(STANDBY_PORT), "-U", "postgres", "-d", "linli", "-qtAc"]
    try:
        fresh = wait_metric(SECOND_PORT, "linli_db_replica_fresh", 1, 10)
        check(fresh, "replica: the standby never took reads")
        before = metric(SECOND_PORT, "linli_db_replica_statements_total") or 0
        served = public_reads(SECOND_PORT, 50)
        on_replica = (metric(SECOND_PORT, "linli_db_replica_statements_total") or 0) - before
        check(served == 50, f"replica: {50 - served} of 50 public reads failed")
        check(on_replica >= 50, f"replica: only {on_replica:.0f} statements of 50 public reads ran on the standby")
        # Whoever writes reads their own writes at once: signed in, they read the primary.
        giver, taker = people[0], people[1]

        def wallet(who):
            return must(WALLET, token=who[1], port=SECOND_PORT)["me"]["wallet"]["balance"]

        had = wallet(taker)
        stale = 0
        for i in range(20):
            must(DONATE, {"i": {"recipient": taker[0], "amount": 1, "reason": "邻里互助",
                                "idempotencyKey": f"fault-replica-{i}"}}, giver[1], port=SECOND_PORT)
            stale += wallet(taker) != had + i + 1
        check(stale == 0, f"replica: {stale} of 20 reads after a write missed it")
        # Replay paused while the primary writes: past the bound, reads move to the primary.
        subprocess.run(standby_sql + ["SELECT pg_wal_replay_pause()"], check=True, capture_output=True)
        with Storm("replica-lag", people):
            lagging = wait_metric(SECOND_PORT, "linli_db_replica_fresh", 0, 5)
            before = metric(SECOND_PORT, "linli_db_replica_statements_total") or 0
            served_lagging = public_reads(SECOND_PORT, 20)
            leaked = (metric(SECOND_PORT, "linli_db_replica_statements_total") or 0) - before
        check(lagging, "replica: a standby that stopped replaying kept taking reads")
        # The watch reads the standby's position four times a second; 20 pages read there
        # would be 20 statements or more.
        check(served_lagging == 20 and leaked < 10,
              f"replica: while it lagged {served_lagging}/20 reads answered, {leaked:.0f} statements on it")
        subprocess.run(standby_sql + ["SELECT pg_wal_replay_resume()"], check=True, capture_output=True)
        caught_up = wait_metric(SECOND_PORT, "linli_db_replica_fresh", 1, 10)
        check(caught_up, "replica: the standby did not take reads again after catching up")
        # Down: reads fall back to the primary.
        pg("stop", "-m", "immediate", cluster=STANDBY)
        gone = wait_metric(SECOND_PORT, "linli_db_replica_fresh", 0, 5)
        served_down = public_reads(SECOND_PORT, 20)
        check(gone and served_down == 20, f"replica: with the standby down, {served_down}/20 reads answered")
        measured("replica", f"50 public reads on the standby; 20 reads after writes all current; replay paused: "
            f"reads moved to the primary; standby down: {served_down}/20 answered from the primary")
    finally:
        reader.stop(signal.SIGKILL)
        subprocess.run(standby_sql + ["SELECT 1"], capture_output=True)
    # Back for the failover: the primary's commits wait for it (synchronous replication).
    pg("start", cluster=STANDBY)
    deadline = time.time() + 30
    while psql("SELECT sync_state FROM pg_stat_replication") != "sync" and time.time() < deadline:
        time.sleep(0.2)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as proc_status:
        return next(int(line.split()[1]) // 1024 for line in proc_status if line.startswith("VmRSS"))


def scenario_memory(linli):
    """Bursts of sign-ins (a 19 MiB argon2 block each) must not leave memory behind."""
    log("memory:")
    email = f"memory-{random.getrandbits(32):08x}@faults.linli"
    must(REGISTER, {"i": {"email": email, "password": PASSWORD, "displayName": "内存"}})
    before = rss_mib(linli.proc.pid)
    peak = before
    for _ in range(3 if SHORT else 10):
        threads = [threading.Thread(target=gql, args=(SIGN_IN, {"l": email, "p": PASSWORD})) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        peak = max(peak, rss_mib(linli.proc.pid))
    time.sleep(3)
    soon = rss_mib(linli.proc.pid)
    # Idle blocking threads end after 10 s, and their allocator heaps with them.
    time.sleep(12)
    after = rss_mib(linli.proc.pid)
    check(after - before < 100, f"memory: {after - before} MiB kept after sign-in bursts")
    measured("memory", f"resident {before} MiB before sign-in bursts, {peak} MiB at most, {soon} MiB 3 s after, "
        f"{after} MiB 15 s after")


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
    measured("slowloris", f"{count} slow connections, /healthz always 200 (slowest {slowest * 1000:.0f} ms), all cut off")


def crowd(people, port, label):
    """500 donations at once: (admitted seconds sorted, shed answers, other answers)."""
    clients = 500
    results = []
    lock = threading.Lock()
    gate = threading.Barrier(clients)

    def one(i):
        giver, taker = people[i % len(people)], people[(i + 1) % len(people)]
        gate.wait()
        started = time.time()
        code, headers, data = gql(DONATE, {"i": {"recipient": taker[0], "amount": 1, "reason": "邻里互助",
                                                 "idempotencyKey": f"fault-crowd-{label}-{i}"}}, giver[1],
                                  timeout=30, port=port)
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
    return admitted, shed, other


def p99(seconds):
    ordered = sorted(seconds)
    return ordered[max(int(len(ordered) * 0.99) - 1, 0)] if ordered else 0.0


def scenario_crowd(linli, people):
    """500 clients at once, on an instance as configured by default (512 requests in flight)
    and on one bounded to 64 in flight, which sheds the rest at once."""
    log("crowd:")
    bounded = Linli(SECOND_PORT, mail=linli.mail, LINLI_MAX_IN_FLIGHT="64")
    bounded.start()
    try:
        for label, port in (("default", PORT), ("bounded", SECOND_PORT)):
            admitted, shed, other = crowd(people, port, label)
            check(not other, f"crowd {label}: answers other than 200 and 503: {[r[0] for r in other][:5]}")
            check(all(r[3].get("retry-after") or r[3].get("Retry-After") for r in shed),
                  f"crowd {label}: a 503 without Retry-After")
            check(p99(admitted) < 15, f"crowd {label}: admitted p99 {p99(admitted):.1f} s")
            if label == "bounded":
                check(shed and p99(r[2] for r in shed) < 1, f"crowd {label}: the excess was not shed at once")
            posted = int(psql(f"SELECT count(*) FROM transfer WHERE code = 'DONATE' AND "
                              f"idempotency_key LIKE '%:fault-crowd-{label}-%'"))
            check(posted == len(admitted), f"crowd {label}: {posted} donations posted, {len(admitted)} admitted")
            measured("crowd", f"{label}: 500 at once, {len(admitted)} admitted (p99 {p99(admitted):.2f} s), "
                     f"{len(shed)} shed with 503 (p99 {p99(r[2] for r in shed) * 1000:.0f} ms)")
        report = linli.run("ledger", "verify")
        check(report.returncode == 0, f"crowd: linli ledger verify failed:\n{report.stdout}")
    finally:
        bounded.stop(signal.SIGKILL)


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
    measured("fuzz", f"{count} generated requests, answers by status {dict(sorted(codes.items()))}")


def main():
    if os.geteuid() != 0:
        raise SystemExit("the fault suite makes its own PostgreSQL cluster: run it as root")
    started = time.time()
    subprocess.run(f"{CARGO} build --release --locked -q -p linli-api --manifest-path {ROOT}/Cargo.toml", shell=True, check=True)
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

        def run(name, scenario, *args):
            if ONLY is None or name in ONLY:
                scenario(*args)

        run("restart", scenario_database, linli, people, "restart", lambda: pg("restart"), lambda: None, 1)
        run("immediate", scenario_database, linli, people, "immediate", lambda: pg("stop", "-m", "immediate"),
            lambda: pg("start"), outage)
        locker = {}

        def lock():
            locker["p"] = subprocess.Popen(
                ["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", "linli", "-qc",
                 f"BEGIN; LOCK TABLE transfer IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep({outage}); COMMIT;"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        run("lock", scenario_database, linli, people, "lock", lock, lambda: locker["p"].wait(), outage)
        frozen = {}

        def freeze():
            frozen["pids"] = pg_pids()
            for pid in frozen["pids"]:
                os.kill(pid, signal.SIGSTOP)

        def thaw():
            for pid in frozen["pids"]:
                os.kill(pid, signal.SIGCONT)

        run("sigstop", scenario_database, linli, people, "sigstop", freeze, thaw, outage)
        run("kill9", scenario_process, linli, people, "kill9", signal.SIGKILL)
        run("sigterm", scenario_process, linli, people, "sigterm", signal.SIGTERM)
        run("instances", scenario_instances, linli, people)
        if ONLY is None or ONLY & {"replica", "failover"}:
            standby_up()
        run("replica", scenario_replica, linli, people)
        run("failover", scenario_failover, linli, people)
        run("memory", scenario_memory, linli)
        run("slowloris", scenario_slowloris, linli)
        run("crowd", scenario_crowd, linli, people)
        run("fuzz", scenario_fuzz, linli, people)
        final = linli.run("ledger", "verify")
        check(final.returncode == 0, f"final ledger verify failed:\n{final.stdout}")
        with open(f"/proc/{linli.proc.pid}/status") as proc_status:
            peak = next((int(line.split()[1]) // 1024 for line in proc_status if line.startswith("VmHWM")), 0)
        log(f"memory high-water mark of the last Linli process: {peak} MiB")
    finally:
        linli.stop(signal.SIGKILL)
        cluster_down()
    minutes = (time.time() - started) / 60
    if not SHORT and ONLY is None and not FAILURES:
        write_report(minutes, peak)
    log(f"fault suite {'(short) ' if SHORT else ''}took {minutes:.1f} min: "
        f"{'FAILED: ' + str(len(FAILURES)) + ' checks' if FAILURES else 'every check passed'}")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
