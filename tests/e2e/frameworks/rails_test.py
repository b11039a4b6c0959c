"""ActiveRecord migrations (Debian's ruby-activerecord 6.1, mysql2 driver)
pointed at sealgate leave the schema they leave when pointed at the server.

The migrations in rails/migrate, run by rails/migrate.rb as `rails db:migrate`
runs them: tables created with `t.references ..., foreign_key: true` (one to
the table itself, one ON DELETE CASCADE), then add_column, add_index and
change_column on the child and on its parents, add_reference, add_foreign_key
and remove_foreign_key.

Migrated from scratch twice: into one database straight on the server, into
another through sealgate while an application writes through the proxy every
5 ms. After the create_table migrations both databases get the same rows, so
the later ALTERs change tables that hold data. Then SHOW CREATE TABLE of every
table, schema_migrations, ar_internal_metadata's keys and the rows must be
equal, the application must have seen no error, and every write it was told
succeeded must be there.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import migration_compare as mc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# A liveness limit per migrate command, not a speed target: each plain ALTER
# through sealgate is an online deploy (seconds each, tens of seconds while the
# shared test server carries the heaviest seal tests beside it).
MIGRATE_TIMEOUT = 480
LAST_CREATE_TABLE = "20240101000003"

SEED = [
    "INSERT INTO authors (id, name, email, created_at, updated_at) SELECT seq, CONCAT('author ', seq), "
    "CONCAT('a', seq, '@example.com'), '2024-01-01', '2024-01-01' FROM seq_1_to_50",
    "INSERT INTO posts (id, author_id, parent_id, title, created_at, updated_at) SELECT seq, 1 + seq % 50, "
    "NULL, CONCAT('post ', seq), '2024-01-02', '2024-01-02' FROM seq_1_to_500",
    "INSERT INTO posts (id, author_id, parent_id, title, created_at, updated_at) SELECT seq, 1 + seq % 50, "
    "1 + seq % 500, CONCAT('reply ', seq), '2024-01-03', '2024-01-03' FROM seq_501_to_2000",
    "INSERT INTO comments (post_id, body, created_at, updated_at) SELECT 1 + seq % 2000, CONCAT('comment ', seq), "
    "'2024-01-04', '2024-01-04' FROM seq_1_to_5000",
]
ROWS = [("schema_migrations", "the versions schema_migrations lists",
         "SELECT version FROM {db}.schema_migrations ORDER BY version"),
        ("ar_internal_metadata", "ar_internal_metadata's keys",
         "SELECT `key`, value FROM {db}.ar_internal_metadata ORDER BY `key`")] + [
    (t, "the rows of " + t, "SELECT * FROM {db}.%s ORDER BY id" % t) for t in ("authors", "posts", "comments")]


def main():
    work = os.path.join(os.environ["SEALGATE_SCRATCH_DIR"], "rails-%d" % os.getpid())
    os.makedirs(work, exist_ok=True)

    def migrate(target):
        log = os.path.join(work, target.label + ".log")
        env = dict(os.environ, E2E_DATABASE=target.database, E2E_HOST=target.host, E2E_PORT=str(target.port),
                   E2E_SQL_LOG=os.path.join(work, target.label + "-sql.log"))
        script = os.path.join(HERE, "rails", "migrate.rb")
        # The create_table migrations, the rows, then the rest.
        problems = mc.run_tool(["/usr/bin/ruby", script, LAST_CREATE_TABLE], log, MIGRATE_TIMEOUT, env=env)
        if problems:
            return problems
        return target.execute(SEED) or mc.run_tool(["/usr/bin/ruby", script], log, MIGRATE_TIMEOUT, env=env)

    return mc.direct_and_through_sealgate("rails", migrate, ROWS)


if __name__ == "__main__":
    sys.exit(main())
