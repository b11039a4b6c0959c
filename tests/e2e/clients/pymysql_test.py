"""PyMySQL (Debian's python3-pymysql) through sealgate: what an application sees."""
import hashlib
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pymysql  # noqa: E402

DB = "pymysql_e2e"


class PyMySQLThroughProxy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy()
        up = harness.upstream()
        with pymysql.connect(**up) as c, c.cursor() as cur:
            cur.execute("DROP DATABASE IF EXISTS " + DB)
            cur.execute("CREATE DATABASE " + DB + " CHARACTER SET utf8mb4")
            cur.execute("SET GLOBAL max_allowed_packet = 64*1024*1024")

    @classmethod
    def tearDownClass(cls):
        assert cls.proxy.stop() == 0, "sealgate did not exit cleanly on SIGTERM"

    def connect(self, **kw):
        up = harness.upstream()
        up.update(port=self.proxy.port, database=DB, charset="utf8mb4")
        up.update(kw)
        return pymysql.connect(**up)

    def test_queries_params_and_types(self):
        with self.connect() as c, c.cursor() as cur:
            cur.execute("CREATE OR REPLACE TABLE items (id INT PRIMARY KEY, name VARCHAR(50), price DECIMAL(8,2), "
                        "seen DATETIME(6) NULL, data BLOB)")
            rows = [(i, "item %d \U0001F600" % i, "%d.99" % i, None if i % 2 else "2026-01-02 03:04:05.123456",
                     bytes(range(256))) for i in range(100)]
            cur.executemany("INSERT INTO items VALUES (%s, %s, %s, %s, %s)", rows)
            c.commit()
            cur.execute("SELECT id, name, CAST(price AS CHAR), seen, data FROM items WHERE id = %s", (42,))
            row = cur.fetchone()
            self.assertEqual(row[0], 42)
            self.assertEqual(row[1], "item 42 \U0001F600")
            self.assertEqual(row[2], "42.99")
            self.assertEqual(str(row[3]), "2026-01-02 03:04:05.123456")
            self.assertEqual(row[4], bytes(range(256)))
            cur.execute("SELECT COUNT(*), SUM(seen IS NULL) FROM items")
            self.assertEqual(cur.fetchone(), (100, 50))

    def test_transactions_commit_and_rollback(self):
        with self.connect(autocommit=False) as a, self.connect() as b:
            with a.cursor() as cur:
                cur.execute("CREATE OR REPLACE TABLE acct (id INT PRIMARY KEY, bal INT) ENGINE=InnoDB")
                cur.execute("INSERT INTO acct VALUES (1, 100)")
                a.rollback()
                cur.execute("SELECT COUNT(*) FROM acct")
                self.assertEqual(cur.fetchone()[0], 0)
                cur.execute("INSERT INTO acct VALUES (1, 100)")
                a.commit()
            with b.cursor() as cur:
                cur.execute("SELECT bal FROM acct WHERE id = 1")
                self.assertEqual(cur.fetchone()[0], 100)

    def test_server_errors_keep_number_and_message(self):
        with self.connect() as c, c.cursor() as cur:
            with self.assertRaises(pymysql.err.ProgrammingError) as ctx:
                cur.execute("SELECT * FROM definitely_missing")
            self.assertEqual(ctx.exception.args[0], 1146)
            self.assertIn("definitely_missing", ctx.exception.args[1])
            with self.assertRaises(pymysql.err.IntegrityError) as ctx:
                cur.execute("CREATE OR REPLACE TABLE u (id INT PRIMARY KEY)")
                cur.execute("INSERT INTO u VALUES (1), (1)")
            self.assertEqual(ctx.exception.args[0], 1062)
            cur.execute("SELECT 'alive'")
            self.assertEqual(cur.fetchone()[0], "alive")

    def test_wrong_password(self):
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.connect(password="wrong")
        self.assertEqual(ctx.exception.args[0], 1045)

    def test_large_row_over_16_mib(self):
        blob = os.urandom(17 * 1024 * 1024 + 3)
        with self.connect() as c, c.cursor() as cur:
            cur.execute("CREATE OR REPLACE TABLE big (id INT PRIMARY KEY, b LONGBLOB)")
            cur.execute("INSERT INTO big VALUES (1, %s)", (blob,))
            c.commit()
            cur.execute("SELECT b, MD5(b) FROM big")
            got, md5 = cur.fetchone()
            self.assertEqual(len(got), len(blob))
            self.assertEqual(md5, hashlib.md5(blob).hexdigest())

    def test_multi_statement_results(self):
        with self.connect(client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS) as c, c.cursor() as cur:
            cur.execute("SELECT 1; SELECT 2, 3; SELECT 'x'")
            seen = [cur.fetchall()]
            while cur.nextset():
                seen.append(cur.fetchall())
            self.assertEqual(seen, [((1,),), ((2, 3),), (("x",),)])

    def test_many_concurrent_connections(self):
        with self.connect() as c, c.cursor() as cur:
            cur.execute("CREATE OR REPLACE TABLE hits (worker INT, n INT, PRIMARY KEY (worker, n))")
            c.commit()
        errors = []

        def work(w):
            try:
                with self.connect(autocommit=True) as conn, conn.cursor() as cur:
                    for n in range(25):
                        cur.execute("INSERT INTO hits VALUES (%s, %s)", (w, n))
                        cur.execute("SELECT COUNT(*) FROM hits WHERE worker = %s", (w,))
                        if cur.fetchone()[0] != n + 1:
                            errors.append("worker %d saw a wrong count" % w)
            except Exception as e:  # noqa: BLE001 - collected and asserted below
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(w,)) for w in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        with self.connect() as c, c.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM hits")
            self.assertEqual(cur.fetchone()[0], 1000)


if __name__ == "__main__":
    unittest.main(verbosity=2)
