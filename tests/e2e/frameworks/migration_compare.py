"""A framework's migrations run twice from scratch, once straight against the
server and once through sealgate, must leave the same schema; meanwhile an
application writing through the proxy sees no error and loses no write.

Shared by django_test.py and rails_test.py. The environment comes from ctest
(tests/CMakeLists.txt): SEALGATE_BINARY, SEALGATE_TEST_HOST/PORT/USER/PASSWORD,
SEALGATE_SCRATCH_DIR.
"""
import collections
import difflib
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "clients"))
import harness  # noqa: E402
import pymysql  # noqa: E402

upstream = harness.upstream


def start_proxy(name):
    """sealgate on a free port with a metadata schema of its own."""
    return harness.Proxy("--metadata-schema", "_sgtest_%s_%d" % (name, os.getpid()))


def connect(port=None, database=None):
    params = upstream()
    if port is not None:
        params.update(host="127.0.0.1", port=port)
    return pymysql.connect(database=database, charset="utf8mb4", autocommit=True, **params)


def recreate_databases(*names):
    with connect() as c, c.cursor() as cur:
        for name in names:
            cur.execute("DROP DATABASE IF EXISTS `%s`" % name)
            cur.execute("CREATE DATABASE `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci" % name)


class Writer:
    """The application: one INSERT through the proxy every 5 ms into a table
    of its own database, each acknowledged id remembered, each error kept."""

    def __init__(self, proxy_port, database):
        self.database = database
        with connect() as c, c.cursor() as cur:
            cur.execute("CREATE TABLE `%s`.events (id BIGINT PRIMARY KEY AUTO_INCREMENT, "
                        "note VARCHAR(40) NOT NULL, at DATETIME(6) NOT NULL)" % database)
        self.conn = connect(proxy_port, database)
        self.acked = []
        self.errors = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                with self.conn.cursor() as cur:
                    cur.execute("INSERT INTO events (note, at) VALUES ('live', NOW(6))")
                    self.acked.append(cur.lastrowid)
            except Exception as e:  # every failure counts, whatever its kind
                self.errors.append("%s: %r" % (time.strftime("%H:%M:%S"), e))
                if not self.conn.open:
                    try:
                        self.conn = connect(self.conn.port, self.database)
                    except Exception as e2:
                        self.errors.append("reconnect: %r" % e2)
                        time.sleep(0.1)
            time.sleep(0.005)

    def stop(self):
        """Stops writing; returns a list of problems (empty when none)."""
        self.stopping.set()
        self.thread.join(30)
        self.conn.close()
        problems = ["the application's INSERT failed: " + e for e in self.errors[:10]]
        if len(self.errors) > 10:
            problems.append("... %d application errors in all" % len(self.errors))
        if not self.acked:
            problems.append("the application got no INSERT acknowledged")
        with connect(database=self.database) as c, c.cursor() as cur:
            cur.execute("SELECT id FROM events")
            present = {row[0] for row in cur.fetchall()}
        lost = [i for i in self.acked if i not in present]
        if lost:
            problems.append("%d acknowledged INSERTs are missing, ids %s" % (len(lost), lost[:20]))
        return problems


# sealgate keeps the tables a seal replaced as `~<table>_old` (and stages
# shadows as `~<table>_new`) in the same database; they are its own, not the
# framework's.
def is_sealgate_table(name):
    return name.startswith("~")


def tables(database):
    with connect() as c, c.cursor() as cur:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                    "ORDER BY TABLE_NAME", (database,))
        return [row[0] for row in cur.fetchall()]


def schema(database):
    """{table: SHOW CREATE TABLE}, with the database's name made neutral."""
    out = {}
    with connect(database=database) as c, c.cursor() as cur:
        for name in tables(database):
            if is_sealgate_table(name):
                continue
            cur.execute("SHOW CREATE TABLE `%s`" % name)
            out[name] = cur.fetchone()[1].replace("`%s`." % database, "`<db>`.")
    return out


def compare_schemas(a, b, sa, sb):
    """SHOW CREATE TABLE for SHOW CREATE TABLE (sa, sb: schema(a), schema(b));
    returns a list of problems, each with its diff."""
    problems = []
    for name in sorted(set(sa) - set(sb)):
        problems.append("table %s exists in %s (direct) but not in %s (through sealgate)" % (name, a, b))
    for name in sorted(set(sb) - set(sa)):
        problems.append("table %s exists in %s (through sealgate) but not in %s (direct)" % (name, b, a))
    for name in sorted(set(sa) & set(sb)):
        if sa[name] != sb[name]:
            diff = difflib.unified_diff(sa[name].splitlines(), sb[name].splitlines(),
                                        "%s.%s (direct)" % (a, name), "%s.%s (through sealgate)" % (b, name),
                                        lineterm="")
            problems.append("SHOW CREATE TABLE %s differs:\n  %s" % (name, "\n  ".join(diff)))
    return problems


def sealgate_tables(database):
    return [name for name in tables(database) if is_sealgate_table(name)]


def compare_rows(a, b, what, query):
    """The rows `query` ({db} stands for the database) returns in a and in b."""
    rows = []
    for db in (a, b):
        with connect(database=db) as c, c.cursor() as cur:
            cur.execute(query.format(db="`%s`" % db))
            rows.append([tuple(r) for r in cur.fetchall()])
    if rows[0] == rows[1]:
        return []
    only_a = collections.Counter(rows[0]) - collections.Counter(rows[1])
    only_b = collections.Counter(rows[1]) - collections.Counter(rows[0])
    lines = ["%d rows in %s (direct), %d in %s (through sealgate)" % (len(rows[0]), a, len(rows[1]), b)]
    lines += ["only direct:          %r" % (r,) for r in list(only_a.elements())[:5]]
    lines += ["only through sealgate: %r" % (r,) for r in list(only_b.elements())[:5]]
    if not only_a and not only_b:
        lines.append("the same rows in another order")
    return ["%s differ:\n  %s" % (what, "\n  ".join(lines))]


def report(name, problems):
    """Prints the verdict; the test's exit status."""
    if problems:
        print("FAIL: %s: %d problem(s)" % (name, len(problems)))
        for p in problems:
            print("- " + p)
        return 1
    print("PASS: " + name)
    return 0


class Target:
    """One of the two runs: a database, and the address the framework is given
    for it (the server itself, or sealgate)."""

    def __init__(self, label, database, host, port, via_proxy):
        self.label, self.database, self.host, self.port, self.via_proxy = label, database, host, port, via_proxy

    def connect(self):
        return connect(self.port if self.via_proxy else None, self.database)

    def execute(self, statements):
        """Runs statements in order; a list with one problem if one fails."""
        with self.connect() as c, c.cursor() as cur:
            for statement in statements:
                try:
                    cur.execute(statement)
                except pymysql.MySQLError as e:
                    return ["%s (%s): %s failed: %s" % (self.label, self.database, statement, e)]
        return []


ERROR_LINE = re.compile(r"\s*[\w.:]*Error\b")


def run_tool(args, log_path, timeout, **kw):
    """Runs a framework's command, its output appended to log_path; a list
    with one problem (the command's last lines of output) when it fails."""
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, **kw)
        rc, out = p.returncode, p.stdout
    except subprocess.TimeoutExpired as e:
        rc = "no answer within %d s" % timeout
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    with open(log_path, "a") as f:
        f.write("$ %s\n%s\n" % (" ".join(args), out))
    if rc == 0:
        return []
    # The error (a traceback or a backtrace may follow it), then the last
    # lines (where the command got to).
    lines = out.strip().splitlines()
    shown = lines[-3:]
    errors = [line.strip() for line in lines if ERROR_LINE.match(line)]
    if errors and not any(ERROR_LINE.match(line) for line in shown):
        shown = [errors[0], "..."] + shown
    shown = "\n  ".join(shown)
    return ["`%s` failed (%s):\n  %s\n  full output in %s" % (" ".join(args[1:]), rc, shown, log_path)]


def direct_and_through_sealgate(name, migrate, rows_to_compare):
    """The comparison both framework tests make.

    migrate(target) runs the framework's migrations from scratch into
    target.database and returns a list of problems. It runs first straight
    against the server, then through a sealgate of its own while the
    application writes through the proxy. rows_to_compare: (table, what,
    query), {db} standing for the database in the query: its rows must come
    out equal (compared when the table's SHOW CREATE TABLE is). Returns the
    exit status."""
    direct_db, proxied_db, live_db = name + "_e2e_direct", name + "_e2e_proxy", name + "_e2e_live"
    recreate_databases(direct_db, proxied_db, live_db)
    up = upstream()
    problems = migrate(Target("direct", direct_db, up["host"], up["port"], via_proxy=False))
    if problems:
        return report("%s migrations directly on the server (the reference run)" % name, problems)

    proxy = start_proxy(name)
    try:
        writer = Writer(proxy.port, live_db)
        problems = migrate(Target("proxy", proxied_db, "127.0.0.1", proxy.port, via_proxy=True))
        problems += writer.stop()
        sa, sb = schema(direct_db), schema(proxied_db)
        problems += compare_schemas(direct_db, proxied_db, sa, sb)
        for table, what, query in rows_to_compare:
            if table not in sa:
                problems.append("the reference run left no table %s to compare" % table)
            elif sa[table] == sb.get(table):
                problems += compare_rows(direct_db, proxied_db, what, query)
        print("%s through sealgate: %d application writes acknowledged; sealgate's own tables left in %s: %s"
              % (name, len(writer.acked), proxied_db, ", ".join(sealgate_tables(proxied_db)) or "none"))
    finally:
        code = proxy.stop()
    if code != 0:
        problems.append("sealgate exited with %s on SIGTERM; its log: %s" % (code, proxy.log_path))
    return report("%s migrations through sealgate leave the schema they leave directly" % name, problems)
