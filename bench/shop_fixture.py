"""The real shop server for the end-to-end scripts (browser, durability, fuzzing, load): a
database imported from the 40,000-row sample and indexed with MiniLM, accounts with random
passwords, and `serve --db` on a free loopback port. Standard library only."""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "data/online-retail/online_retail_sample.csv")
MINILM = os.path.join(ROOT, "models/all-MiniLM-L6-v2")
NARRATOR = os.path.join(ROOT, "checkpoints/narrator")


def release_binaries():
    return os.environ.get("FINCH_BIN") or os.path.join(ROOT, ".build/release")


def run(args, stdin=None):
    result = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout


def prepare_database(directory, bin_dir=None, csv=SAMPLE):
    """Imports and indexes `csv` into directory/shop.sqlite (about half a minute for the sample)."""
    bin_dir = bin_dir or release_binaries()
    database = os.path.join(directory, "shop.sqlite")
    run([os.path.join(bin_dir, "recommend"), "import", "--csv", csv, "--db", database])
    run([os.path.join(bin_dir, "recommend"), "index", "--db", database, "--model", MINILM])
    return database


def working_database(directory, prepared=None, bin_dir=None, csv=SAMPLE):
    """directory/shop.sqlite: a copy of the `prepared` (imported and indexed) database when one is
    given — the runs write accounts and interactions into it — else a new one from `csv`."""
    if not prepared:
        return prepare_database(directory, bin_dir, csv=csv)
    database = os.path.join(directory, "shop.sqlite")
    shutil.copyfile(prepared, database)
    return database


def add_user(database, customer=None, admin=None, bin_dir=None):
    """Creates an account with a random password and returns (username, password)."""
    password = secrets.token_urlsafe(12)
    who = ["--customer", str(customer)] if customer is not None else ["--admin", admin]
    run([os.path.join(bin_dir or release_binaries(), "recommend"), "user", "add", "--db", database, *who, "--password-stdin"],
        stdin=password + "\n")
    return (str(customer) if customer is not None else admin), password


def top_customers(database, count):
    import sqlite3
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        rows = db.execute("SELECT customer_id FROM invoices GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT ?",
                          (count,)).fetchall()
    return [row[0] for row in rows]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`serve --db` on a free loopback port, with the narrator when checkpoints/narrator exists."""

    def __init__(self, database, bin_dir=None, narrator=None, extra=(), log=None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [os.path.join(bin_dir or release_binaries(), "serve"), "--db", database, "--model", MINILM,
                "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", *extra]
        narrator = narrator if narrator is not None else (NARRATOR if os.path.exists(os.path.join(NARRATOR, "config.json")) else "")
        if narrator:
            args += ["--narrator", narrator]
        self.args = args
        self.log = log or open(os.devnull, "w")
        self.process = subprocess.Popen(args, stdout=self.log, stderr=self.log)

    def wait_ready(self, timeout=300):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited with status {self.process.returncode}: {' '.join(self.args)}")
            try:
                if request(self.url, "GET", "/health", timeout=2)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"serve was not ready within {timeout} s")

    def kill(self):
        """SIGKILL: no shutdown code runs, as in a power cut of the process."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def peak_rss_mb(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return None


def request(url, method, path, token=None, json_body=None, form=None, timeout=30):
    """(status, parsed JSON or text) of one request; HTTP errors are answers, not exceptions."""
    headers = {}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    elif form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    call = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(call, timeout=timeout) as answer:
            status, body, kind = answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        status, body, kind = error.code, error.read(), error.headers.get("Content-Type", "")
    return status, (json.loads(body) if kind.startswith("application/json") and body else body.decode(errors="replace"))


def sign_in(url, username, password):
    status, body = request(url, "POST", "/api/token", form={"username": username, "password": password})
    if status != 200:
        raise RuntimeError(f"sign-in as {username} failed: {status} {body}")
    return body["access_token"]
