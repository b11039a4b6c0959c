"""MariaDB's own client-API test program through sealgate.

mariadb-client-test (Debian's mariadb-test package) holds some 300 sub-tests
of the C API: prepared statements of every type, cursors, multi-results,
stored procedures, COM_CHANGE_USER, LOCAL INFILE, bulk execution, metadata.
Each sub-test is run directly against the test server and then through
sealgate; a sub-test that passes directly must pass through sealgate, unless
mariadb_client_test.expected names it with the reason. Sub-tests that fail
directly (they need mysql-test-run's server options, files or privileges) are
left out.

Speed: one program run per side covers many sub-tests (the program stops at
the first failure; the next run starts after it). Between sub-tests a marker
sub-test runs whose header tells which sub-test was running when the program
stopped. A failure through sealgate counts only once the same sequence of
sub-tests, run again directly, passes.

Each run starts on a clean database: client_test_db is dropped and `test`,
which the program connects to, is created afresh.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pymysql  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_FILE = os.path.join(HERE, "mariadb_client_test.expected")
# Runs between the sub-tests: creates, fills, reads and drops its own table,
# and prints its name as a header exactly once.
MARKER = "test_debug_example"
HEADER = re.compile(r"^\d+ of \(\d+/\d+\): (.*?)\s*$", re.M)
RUN_TIMEOUT_S = 600


def find_program():
    for name in ("mariadb-client-test", "mysql_client_test"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("mariadb-client-test not found: install Debian's mariadb-test package (scripts/deps.sh test does)")


def load_expected():
    expected = {}
    with open(EXPECTED_FILE) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit("%s: %s has no reason" % (EXPECTED_FILE, name))
            expected[name] = reason.strip()
    return expected


class Server:
    """Admin statements on the test server, directly."""

    def __init__(self):
        self.conn = pymysql.connect(**harness.upstream(), autocommit=True)

    def query(self, sql):
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()

    def clean(self):
        self.query("DROP DATABASE IF EXISTS client_test_db")
        self.query("DROP DATABASE IF EXISTS test")
        self.query("CREATE DATABASE test")


class Runner:
    """Runs sub-tests on one port, several per program run."""

    def __init__(self, program, server, port, side):
        self.program, self.server, self.port, self.side = program, server, port, side
        self.scratch = os.path.join(harness.ENV["SEALGATE_SCRATCH_DIR"], "mariadb-client-test", side)
        self.tmp = os.path.join(self.scratch, "tmp")
        shutil.rmtree(self.scratch, ignore_errors=True)
        os.makedirs(self.tmp)
        self.runs = 0
        self.seconds = 0.0

    def run(self, tests):
        """Runs `tests` in one program run; returns (index of the sub-test that failed or None, output)."""
        self.server.clean()
        args = [self.program, "--no-defaults", "-h", harness.ENV["SEALGATE_TEST_HOST"], "-P", str(self.port),
                "-u", harness.ENV["SEALGATE_TEST_USER"], "-p" + harness.ENV["SEALGATE_TEST_PASSWORD"],
                "--vardir", self.scratch, "--getopt-ll-test=25600M"]
        for t in tests:
            args += [MARKER, t]
        env = dict(os.environ, MYSQL_TMP_DIR=self.tmp)
        started = time.monotonic()
        try:
            p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                               timeout=RUN_TIMEOUT_S, cwd=self.scratch)
            out, rc = p.stdout.decode(errors="replace"), p.returncode
        except subprocess.TimeoutExpired as e:
            out, rc = (e.stdout or b"").decode(errors="replace") + "\n[timed out]\n", -1
        self.runs += 1
        self.seconds += time.monotonic() - started
        if rc == 0:
            return None, out
        markers = sum(1 for m in HEADER.finditer(out) if m.group(1) == MARKER)
        return max(markers - 1, 0), out

    def walk(self, tests, on_failure):
        """Runs every test, starting the program again after each failure.
        on_failure(start, index, output) is told of each; returns the passed."""
        passed, start = [], 0
        while start < len(tests):
            failed, out = self.run(tests[start:])
            if failed is None:
                passed += tests[start:]
                break
            at = start + failed
            passed += tests[start:at]
            on_failure(start, at, out)
            start = at + 1
        return passed


def tail(text, lines=12):
    return "\n".join("    " + l for l in text.rstrip().splitlines()[-lines:])


def main():
    program = find_program()
    expected = load_expected()
    listing = subprocess.run([program, "--no-defaults", "-T"], stdout=subprocess.PIPE, check=True).stdout.decode()
    names = [l.strip() for l in listing.splitlines()[1:] if l.strip()]
    # A name listed twice (test_list_fields) runs the first of its functions each time.
    tests = [t for i, t in enumerate(names) if t != MARKER and t not in names[:i]]
    for name in expected:
        if name not in names:
            sys.exit("%s lists %s, which this mariadb-client-test does not have" % (EXPECTED_FILE, name))

    server = Server()
    trust, packet = server.query("SELECT @@global.log_bin_trust_function_creators, @@global.max_allowed_packet")[0]
    had_test_db = bool(server.query("SHOW DATABASES LIKE 'test'"))
    # As mysql-test-run starts the server for these tests: stored functions
    # under binary logging, and test_big_packet's 32 MB packets.
    server.query("SET GLOBAL log_bin_trust_function_creators = 1")
    server.query("SET GLOBAL max_allowed_packet = 32000000")
    proxy = harness.Proxy()
    started = time.monotonic()
    try:
        direct = Runner(program, server, int(harness.ENV["SEALGATE_TEST_PORT"]), "direct")
        through = Runner(program, server, proxy.port, "sealgate")

        # 1. Directly: what passes, in runs separated by the sub-tests that fail.
        segments, fails_directly, passed_directly, start = [], [], [], 0
        while start < len(tests):
            failed, out = direct.run(tests[start:])
            end = len(tests) if failed is None else start + failed
            if end > start:
                segments.append(tests[start:end])
            passed_directly += tests[start:end]
            if failed is None:
                break
            fails_directly.append(tests[end])
            start = end + 1
        direct_seconds = direct.seconds

        # 2. Through sealgate, the same sequences of sub-tests.
        differences, expected_seen, inconclusive = [], [], []
        through_passed = []
        for seg in segments:
            def proxied_failure(start, at, out, seg=seg):
                name = seg[at]
                if name in expected:
                    expected_seen.append(name)
                    return
                # The same sequence directly: a difference only if it passes there.
                again, direct_out = direct.run(seg[start:at + 1])
                if again is None:
                    differences.append((name, seg[start:at + 1], out))
                else:
                    inconclusive.append((name, direct_out))
            through_passed += through.walk(seg, proxied_failure)
        elapsed = time.monotonic() - started
    finally:
        code = proxy.stop()
        server.query("SET GLOBAL log_bin_trust_function_creators = %d" % trust)
        server.query("SET GLOBAL max_allowed_packet = %d" % packet)
        server.query("DROP DATABASE IF EXISTS client_test_db")
        if not had_test_db:
            server.query("DROP DATABASE IF EXISTS test")

    print("mariadb-client-test: %d sub-tests; %d pass directly (%d fail directly and are left out: %s)"
          % (len(tests), len(passed_directly), len(fails_directly), " ".join(fails_directly) or "-"))
    print("through sealgate: %d pass, %d expected differences (%s), %d differences"
          % (len(through_passed), len(expected_seen), " ".join(expected_seen) or "-", len(differences)))
    print("time: %.0f s (directly %d runs %.0f s, through sealgate %d runs %.0f s, re-checks %.0f s)"
          % (elapsed, direct.runs, direct_seconds, through.runs, through.seconds,
             direct.seconds - direct_seconds))
    stale = [n for n in expected if n in passed_directly and n not in expected_seen]
    if stale:
        print("note: listed as expected differences but passed through sealgate: " + " ".join(stale))
    for name, out in inconclusive:
        print("note: %s failed through sealgate, and directly too when run after the same sub-tests:\n%s"
              % (name, tail(out)))
    ok = True
    # What some sub-tests log (result metadata, OUT parameters), which
    # mysql-test-run compares with its .result files: the same both ways.
    for log in sorted(os.listdir(direct.tmp)):
        ours = os.path.join(through.tmp, log)
        if not os.path.exists(ours):
            continue
        with open(os.path.join(direct.tmp, log), "rb") as a, open(ours, "rb") as b:
            if a.read() != b.read():
                ok = False
                print("FAIL %s differs through sealgate (diff %s %s)" % (log, os.path.join(direct.tmp, log), ours))
    for name, seq, out in differences:
        ok = False
        print("FAIL %s passes directly, fails through sealgate (run: %s):\n%s"
              % (name, " ".join(seq) if len(seq) <= 6 else "%d sub-tests from %s" % (len(seq), seq[0]), tail(out)))
    if code != 0:
        ok = False
        print("FAIL sealgate did not exit cleanly on SIGTERM (exit %s); log: %s" % (code, proxy.log_path))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
