#!/usr/bin/python3
"""MariaDB's own mysql-test-run tests, directly and through sealgate.

About a minute per protocol on two cores (ctest: clients.mtr_compare, and
clients.mtr_compare_ps and clients.mtr_compare_cursor with --ps-protocol and
--cursor-protocol). mysql-test-run (Debian's mariadb-test package) starts a server configured as its tests
expect (--start-and-exit); sealgate is put in front of it; the chosen tests
then run twice with --extern: directly against that server, and through
sealgate. Every test must end the same way both times: passed, skipped for the
same reason, or failed with the same error and the same output. A test whose
outcome differs is run directly once more, and counts only if it ends
differently through sealgate than in both direct runs (a test whose outcome
depends on what earlier runs left in the server is not blamed on sealgate).

  tests/e2e/mtr/mtr_compare.py [--sealgate build-test/sealgate] [--as USER]
      [--scratch DIR] [--mtr-arg=--ps-protocol ...] [--sealgate-arg=...] [TEST ...]

sealgate runs with --plain-alter passthrough unless --sealgate-arg says
otherwise: the tests' ALTERs of tables without a primary key, on a server
without a binary log, cannot be online deploys (README, "MariaDB's client
tests through sealgate"); what is compared here is the protocol.

Without TEST, a protocol-heavy selection of the main suite runs (prepared
statements, stored programs, cursors, multi-statements, COM_CHANGE_USER,
bulk, metadata, warnings). mysql-test-run skips some tests when run as root:
as root it runs (with its server) as --as USER, by default `nobody`.
Only loopback addresses are used; the server and sealgate are stopped at the end.
"""
import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

MTR_HOME = "/usr/share/mysql/mysql-test"
SELECTION = ["ps", "ps_1general", "ps_2myisam", "ps_3innodb", "ps_4heap", "ps_5merge", "ps_10nestset", "ps_11bugs",
             "ps_ddl", "ps_ddl1", "ps_grant", "ps_innodb", "ps_qc_innodb", "ps_missed_cmds",
             "ps_missed_cmds_bin_prot", "ps_not_windows", "sp", "sp-bugs", "sp-cursor", "sp-dynamic", "sp-error",
             "sp-row", "sp-vars", "sp_trans", "sp-innodb", "multi_statement", "change_user",
             "change_user_notembedded", "bulk_replace", "metadata", "errors", "warnings"]
# Not main.union: it writes files into the server's data directory and removes
# them by a path that --extern does not know, so each run breaks the next.
# A test that restarts or shuts down the server cannot run with --extern.
# Tests that compare a GLOBAL status counter around a step of their own:
# sealgate's own connections to the server (its lease, heartbeats, lag
# probes) are other clients, and may move the counter in between. Such a test
# that ends differently through sealgate is run through sealgate once more.
SERVER_WIDE_COUNTERS = {
    "main.change_user": "reads GLOBAL com_select before and after a change_user",
}
RESTARTS = re.compile(r"restart_mysqld|shutdown_mysqld|kill_mysqld|shutdown_server|start_mysqld|kill_and_restart")
RESULT = re.compile(r"^(\w+\.\S+)\s+(?:'[^']*'\s+)?\[ (pass|fail|skipped|disabled) \]\s*(.*)$")
MYSQLTEST_ERROR = re.compile(r"^mysqltest: .*$", re.M)


def free_build_thread():
    """An MTR_BUILD_THREAD whose port block (10000 + 30 * n, 30 ports) and
    the next one are free on loopback: the server's, and the extern runs'."""
    def block_free(n):
        for port in range(10000 + 30 * n, 10000 + 30 * n + 30):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    return False
        return True
    start = os.getpid() % 600 + 100
    for i in range(600):
        n = 100 + (start + 2 * i) % 640
        if block_free(n) and block_free(n + 1):
            return n
    sys.exit("no free port block for mysql-test-run")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mtr:
    """mysql-test-run from a private copy of its tree (symbolic links), so
    that .reject files land in the scratch directory, not in /usr/share."""

    def __init__(self, scratch, as_user):
        self.scratch, self.as_user = scratch, as_user
        root = os.path.join(scratch, "usr")
        if not os.path.isdir(root):
            os.makedirs(os.path.join(root, "share"))
            os.makedirs(os.path.join(root, "lib"))
            subprocess.run(["cp", "-rs", os.path.dirname(MTR_HOME), os.path.join(root, "share", "mysql")], check=True)
            for d in ("bin", "sbin"):
                os.symlink("/usr/" + d, os.path.join(root, d))
            os.symlink("/usr/lib/mysql", os.path.join(root, "lib", "mysql"))
        self.home = os.path.join(root, "share", "mysql", "mysql-test")
        if as_user:
            # -h: the links, never the files they point to in /usr/share.
            subprocess.run(["chown", "-R", "-h", as_user, scratch], check=True)

    def run(self, args, log, build_thread):
        cmd = ["perl", "mariadb-test-run.pl"] + args
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--"] + cmd
        env = dict(os.environ, MTR_BUILD_THREAD=str(build_thread))
        with open(log, "w") as out:
            subprocess.run(cmd, cwd=self.home, stdout=out, stderr=subprocess.STDOUT, env=env)
        with open(log, errors="replace") as f:
            return f.read()

    def take_rejects(self, into):
        os.makedirs(into, exist_ok=True)
        for path in glob.glob(os.path.join(self.home, "**", "*.reject"), recursive=True):
            shutil.move(path, os.path.join(into, os.path.basename(path)))


def outcomes(log, rejects, vardir):
    """test name -> how it ended: status, reason or error, and its .reject."""
    result, current = {}, None
    lines = log.splitlines()
    for i, line in enumerate(lines):
        m = RESULT.match(line)
        if not m:
            continue
        name, status, rest = m.groups()
        how = status if status == "pass" else status + ": " + rest.strip()
        if status == "fail":
            # The failure's text runs until the next test's line.
            j = i + 1
            while j < len(lines) and not RESULT.match(lines[j]):
                j += 1
            errors = MYSQLTEST_ERROR.findall("\n".join(lines[i + 1:j]))
            how = "fail: " + " | ".join(errors)
            reject = os.path.join(rejects, name.split(".", 1)[1] + ".reject")
            if os.path.exists(reject):
                with open(reject, errors="replace") as f:
                    how += "\n" + f.read()
        result[name] = how.replace(vardir, "$VARDIR")
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    env = os.environ
    ap.add_argument("--sealgate", default=env.get("SEALGATE_BINARY"), help="the sealgate binary")
    ap.add_argument("--scratch", help="work directory (default: under SEALGATE_SCRATCH_DIR or /tmp)")
    ap.add_argument("--as", dest="as_user", default="nobody" if os.geteuid() == 0 else None,
                    help="as root: run mysql-test-run and its server as this user (default nobody)")
    ap.add_argument("--mtr-arg", action="append", default=[], help="passed to mysql-test-run (e.g. --ps-protocol)")
    ap.add_argument("--sealgate-arg", action="append", help="passed to sealgate (default: --plain-alter passthrough)")
    ap.add_argument("tests", nargs="*")
    opts = ap.parse_args()
    if not opts.sealgate:
        ap.error("--sealgate (or SEALGATE_BINARY) is required")
    if not os.path.exists(os.path.join(MTR_HOME, "mariadb-test-run.pl")):
        sys.exit("mysql-test-run not found: install Debian's mariadb-test package (scripts/deps.sh test does)")
    variant = "".join(a.strip("-") for a in opts.mtr_arg) or "plain"
    opts.scratch = opts.scratch or os.path.join(env.get("SEALGATE_SCRATCH_DIR", "/tmp"), "mtr-compare-" + variant)
    opts.build_thread = free_build_thread()
    tests = opts.tests or ["main." + t for t in SELECTION]
    restarting = []
    for t in list(tests):
        suite, name = t.split(".", 1)
        path = os.path.join(MTR_HOME, suite if suite == "main" else os.path.join("suite", suite), name + ".test")
        with open(path, errors="replace") as f:
            if RESTARTS.search(f.read()):
                tests.remove(t)
                restarting.append(t)
    if restarting:
        print("left out (they restart the server): " + " ".join(restarting))

    shutil.rmtree(opts.scratch, ignore_errors=True)
    os.makedirs(opts.scratch)
    mtr = Mtr(opts.scratch, opts.as_user)
    server_dir = os.path.join(opts.scratch, "server")
    started = mtr.run(["--start-and-exit", "--vardir=" + server_dir, "--mysqld=--bind-address=127.0.0.1",
                       "--mysqld=--innodb", "main.ps_innodb"], os.path.join(opts.scratch, "server.log"),
                      opts.build_thread)
    m = re.search(r"mysqld\.1\s+(\d+)\s", started)
    if not m:
        sys.exit("mysql-test-run did not start its server:\n" + started[-2000:])
    port = int(m.group(1))
    proxy_port = free_port()
    proxy_log = open(os.path.join(opts.scratch, "sealgate-process.log"), "w")
    proxy = subprocess.Popen([opts.sealgate, "--listen", "127.0.0.1:%d" % proxy_port, "--upstream",
                              "127.0.0.1:%d" % port, "--http", "127.0.0.1:%d" % free_port(), "--admin-user", "root"]
                             + (opts.sealgate_arg or ["--plain-alter", "passthrough"]),
                             stdout=proxy_log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", proxy_port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or proxy.poll() is not None:
                    sys.exit("sealgate did not start; see " + proxy_log.name)
                time.sleep(0.1)

        def side(name, target_port, names):
            vardir = os.path.join(opts.scratch, name)
            args = ["--extern", "host=127.0.0.1", "--extern", "port=%d" % target_port, "--extern", "user=root",
                    "--extern", "protocol=TCP", "--vardir=" + vardir, "--force", "--max-test-fail=0"]
            began = time.monotonic()
            log = mtr.run(args + opts.mtr_arg + names, vardir + "-mtr.log", opts.build_thread + 1)
            rejects = vardir + "-rejects"
            mtr.take_rejects(rejects)
            return outcomes(log, rejects, vardir), time.monotonic() - began

        direct, direct_s = side("direct", port, tests)
        if not direct:
            sys.exit("mysql-test-run ran nothing directly; see %s" % os.path.join(opts.scratch, "direct-mtr.log"))
        through, through_s = side("sealgate", proxy_port, tests)
        differing = sorted(t for t in direct if through.get(t) != direct[t])
        again = side("direct-again", port, differing)[0] if differing else {}
        # Tests that read server-wide counters, which sealgate's own
        # connections move too: once more through sealgate before they count.
        shared = [t for t in differing if t in SERVER_WIDE_COUNTERS and through.get(t) != again.get(t)]
        if shared:
            print("run through sealgate again (they read server-wide counters): " + " ".join(shared))
            through.update(side("sealgate-again", proxy_port, shared)[0])
    finally:
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(30)
        pidfile = os.path.join(server_dir, "run", "mysqld.1.pid")
        if os.path.exists(pidfile):
            with open(pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)

    def count(results, status):
        return sum(1 for how in results.values() if how.split(":")[0].split("\n")[0] == status)

    print("%d tests: directly %d pass, %d fail, %d skipped (%.0f s); through sealgate %d pass, %d fail (%.0f s)"
          % (len(direct), count(direct, "pass"), count(direct, "fail"), count(direct, "skipped"), direct_s,
             count(through, "pass"), count(through, "fail"), through_s))
    drifted = [t for t in differing if through.get(t) == again.get(t)]
    if drifted:
        print("ended through sealgate as when run directly again (state left by the runs before): "
              + " ".join(drifted))
    real = [t for t in differing if t not in drifted]
    for t in real:
        print("DIFFERS %s\n  directly:         %s\n  directly again:   %s\n  through sealgate: %s"
              % (t, direct[t][:2000].replace("\n", "\n    "), again.get(t, "(no result)")[:2000].replace("\n", "\n    "),
                 through.get(t, "(no result)")[:2000].replace("\n", "\n    ")))
    print("%d differences; logs in %s" % (len(real), opts.scratch))
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
