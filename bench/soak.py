"""The soak's driver (bench/soak.sh starts the server and calls this): mixed traffic at one
`vanish serve` for a given time, from many client addresses sent through the trusted-proxy
header, while the server's resident memory and open file descriptors are sampled.

Traffic, per request: create 30 %, reveal 20 % (GET and POST), metadata 15 %, receipt
10 %, burn 5 %, config and health 5 %, refused input 15 % (bad JSON, a bad id, a wrong
manage token, a non-JSON body, an unknown path). Client addresses come from a pool of
IPv4 addresses and IPv6 /64s, plus a few clients that hammer until they are limited
and banned, so the limiter's windows and bans are exercised too.

The verdict: every 5xx other than 503 fails the soak; so does resident memory or the
number of open file descriptors growing by more than 10 % between the first minute after
warm-up and the last minute (each the median of its samples). Standard library only.

Usage: soak.py --base URL --pid PID --duration S --warmup S --samples FILE
"""

import argparse
import collections
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time

IV = "AAECAwQFBgcICQoL"
GROWTH_LIMIT = 0.10
WINDOW_S = 60


class Shared:
    """What the workers share: recent secrets to read, the answers seen, a stop flag."""

    def __init__(self):
        self.lock = threading.Lock()
        self.secrets = collections.deque(maxlen=5000)  # (id, manage token)
        self.statuses = collections.Counter()
        self.errors = collections.Counter()  # transport errors, by kind
        self.stop = threading.Event()

    def record(self, status):
        with self.lock:
            self.statuses[status] += 1

    def pick(self, rng):
        with self.lock:
            if not self.secrets:
                return None
            return self.secrets[rng.randrange(len(self.secrets))]


def address_pool(rng, size):
    """Distinct client addresses: mostly IPv4, one in five an IPv6 address in its own /64."""
    pool = set()
    while len(pool) < size:
        if rng.random() < 0.8:
            pool.add(f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}")
        else:
            pool.add(f"2001:db8:{rng.randrange(65536):x}:{rng.randrange(65536):x}::{rng.randrange(1, 65536):x}")
    return sorted(pool)


class Client:
    """One keep-alive connection, reopened when the server closes it."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conn = None

    def send(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                if response.getheader("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, data
            except (http.client.HTTPException, OSError) as error:
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise error
        raise AssertionError("unreachable")


def worker(base, shared, seed, pool, hammerers):
    rng = random.Random(seed)
    host, port = base.removeprefix("http://").split(":")
    client = Client(host, int(port))
    while not shared.stop.is_set():
        # A few clients send far more than their share, so they meet the limits.
        address = rng.choice(hammerers) if rng.random() < 0.05 else rng.choice(pool)
        headers = {"X-Forwarded-For": address}
        try:
            status = one_request(client, shared, rng, headers)
        except (http.client.HTTPException, OSError) as error:
            with shared.lock:
                shared.errors[type(error).__name__] += 1
            time.sleep(0.05)
            continue
        shared.record(status)


def one_request(client, shared, rng, headers):
    roll = rng.randrange(100)
    secret = shared.pick(rng)
    if roll < 30 or secret is None:
        body = {
            "encrypted": "c29ha2luZw" + "A" * rng.randrange(0, 400, 4),
            "iv": IV,
            "ttl": 300_000,
            "maxViews": rng.randrange(1, 4),
        }
        status, data = client.send("POST", "/api/secrets", body, headers)
        if status == 201:
            created = json.loads(data)
            with shared.lock:
                shared.secrets.append((created["id"], created["manageToken"]))
        return status
    secret_id, token = secret
    if roll < 50:
        if rng.random() < 0.5:
            return client.send("GET", f"/api/secrets/{secret_id}", None, headers)[0]
        return client.send("POST", f"/api/secrets/{secret_id}/reveal", {}, headers)[0]
    if roll < 65:
        method = "GET" if rng.random() < 0.7 else "HEAD"
        return client.send(method, f"/api/secrets/{secret_id}/meta", None, headers)[0]
    if roll < 75:
        return client.send("POST", f"/api/secrets/{secret_id}/status", {"manageToken": token}, headers)[0]
    if roll < 80:
        return client.send("POST", f"/api/secrets/{secret_id}/burn", {"manageToken": token}, headers)[0]
    if roll < 85:
        return client.send("GET", rng.choice(["/api/config", "/api/health", "/healthz"]), None, headers)[0]
    return refused_input(client, rng, secret_id, headers)


def refused_input(client, rng, secret_id, headers):
    kind = rng.randrange(5)
    if kind == 0:
        bad = dict(headers, **{"Content-Type": "application/json"})
        return client.send("POST", "/api/secrets", b"{not json", bad)[0]
    if kind == 1:
        return client.send("GET", "/api/secrets/bad!id", None, headers)[0]
    if kind == 2:
        return client.send("POST", f"/api/secrets/{secret_id}/status", {"manageToken": "wrong"}, headers)[0]
    if kind == 3:
        text = dict(headers, **{"Content-Type": "text/plain"})
        return client.send("POST", "/api/secrets", b"plain text", text)[0]
    return client.send("GET", "/api/nothing-here", None, headers)[0]


def sample(pid):
    """Resident memory in KiB and open file descriptors of `pid`."""
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def growth(samples, warmup, duration):
    """Median of the first minute after warm-up, median of the last minute, and growth."""
    first = [s for s in samples if warmup <= s[0] < warmup + WINDOW_S]
    last = [s for s in samples if s[0] >= duration - WINDOW_S]
    figures = {}
    for index, name in ((1, "rss_kib"), (2, "fds")):
        start = statistics.median(s[index] for s in first)
        end = statistics.median(s[index] for s in last)
        figures[name] = (start, end, (end - start) / start if start else 0.0, max(s[index] for s in samples))
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--samples", required=True, help="CSV of t, rss KiB, fds, requests")
    args = parser.parse_args()
    assert args.duration >= args.warmup + 2 * WINDOW_S, "duration must leave two minutes after warm-up"

    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    pool = address_pool(rng, args.clients)
    hammerers = [f"192.0.2.{i}" for i in range(1, 6)]
    shared = Shared()
    threads = [
        threading.Thread(target=worker, args=(args.base, shared, rng.randrange(1 << 32), pool, hammerers), daemon=True)
        for _ in range(args.concurrency)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    samples = []
    with open(args.samples, "w") as out:
        out.write("seconds,rss_kib,fds,requests\n")
        while (elapsed := time.monotonic() - started) < args.duration:
            rss, fds = sample(args.pid)
            with shared.lock:
                requests = sum(shared.statuses.values())
            samples.append((elapsed, rss, fds, requests))
            out.write(f"{elapsed:.1f},{rss},{fds},{requests}\n")
            out.flush()
            time.sleep(args.interval)
    shared.stop.set()
    for thread in threads:
        thread.join(timeout=60)

    total = sum(shared.statuses.values())
    server_errors = {s: n for s, n in shared.statuses.items() if s >= 500 and s != 503}
    figures = growth(samples, args.warmup, args.duration)
    print(f"seed: {seed}")
    print(f"seconds: {args.duration:.0f} (warm-up {args.warmup:.0f})")
    print(f"requests: {total} ({total / args.duration:.0f}/s), client addresses: {len(pool)} + {len(hammerers)} hammering")
    print(f"answers: {dict(sorted(shared.statuses.items()))}")
    print(f"transport errors: {dict(shared.errors)}")
    failed = bool(server_errors)
    for name, (start, end, change, peak) in figures.items():
        verdict = "ok" if change <= GROWTH_LIMIT else "GREW"
        failed |= change > GROWTH_LIMIT
        print(f"{name}: {start:.0f} after warm-up -> {end:.0f} at the end ({change:+.1%}, peak {peak}) {verdict}")
    print(f"5xx other than 503: {sum(server_errors.values())} {server_errors or ''}")
    print(f"result: {'FAILED' if failed else 'ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
