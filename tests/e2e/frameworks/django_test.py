"""Django's `manage.py migrate` (Debian's python3-django 3.2, MySQLdb driver)
pointed at sealgate leaves the schema it leaves when pointed at the server.

A fresh project (django-admin startproject) with the stock apps and the app
in django/shop, whose models have foreign keys (one to itself, one with
on_delete=CASCADE, one to auth's User) and whose second migration alters a
parent table and its child tables: added columns (one a new foreign key), an
index, longer strings, a foreign-key column made NOT NULL (Django drops and
re-adds its constraint for that). The stock apps' own migrations add foreign
keys and alter tables that foreign keys point to.

Migrated from scratch twice: into one database straight on the server, into
another through sealgate while an application writes through the proxy every
5 ms. Between the app's 0001 and the rest both databases get the same rows, so
the later ALTERs change tables that hold data. Then SHOW CREATE TABLE of every
table, django_migrations and the app's rows must be equal, the application
must have seen no error, and every write it was told succeeded must be there.
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import migration_compare as mc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# A liveness limit per migrate command, not a speed target: each plain ALTER
# through sealgate is an online deploy (seconds each, tens of seconds while the
# shared test server carries the heaviest seal tests beside it).
MIGRATE_TIMEOUT = 480

SETTINGS = '''
# Added by the test: the database comes from the environment, and every
# schema statement Django sends is logged.
import os
INSTALLED_APPS += ["shop"]
DATABASES = {"default": {
    "ENGINE": "django.db.backends.mysql", "NAME": os.environ["E2E_DATABASE"],
    "HOST": os.environ["E2E_HOST"], "PORT": os.environ["E2E_PORT"],
    "USER": os.environ["SEALGATE_TEST_USER"], "PASSWORD": os.environ["SEALGATE_TEST_PASSWORD"],
    "OPTIONS": {"charset": "utf8mb4"},
}}
LOGGING = {
    "version": 1,
    "handlers": {"schema": {"class": "logging.FileHandler", "filename": os.environ["E2E_SCHEMA_LOG"]}},
    "loggers": {"django.db.backends.schema": {"handlers": ["schema"], "level": "DEBUG", "propagate": False}},
}
'''

# The same rows in both databases once the app's 0001 is in: a user,
# categories under categories, products (some created by the user), reviews.
SEED = [
    "INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, "
    "is_staff, is_active, date_joined) VALUES ('!', '2024-01-01 00:00:00', 0, 'ann', 'Ann', 'Lee', "
    "'ann@example.com', 0, 1, '2024-01-01 00:00:00')",
    "INSERT INTO shop_category (id, name, parent_id) SELECT seq, CONCAT('top ', seq), NULL FROM seq_1_to_20",
    "INSERT INTO shop_category (id, name, parent_id) SELECT seq, CONCAT('sub ', seq), 1 + seq % 20 "
    "FROM seq_21_to_200",
    "INSERT INTO shop_product (name, category_id, created_by_id) SELECT CONCAT('product ', seq), 1 + seq % 200, "
    "IF(seq % 3 = 0, (SELECT id FROM auth_user WHERE username = 'ann'), NULL) FROM seq_1_to_3000",
    "INSERT INTO shop_review (product_id, stars) SELECT 1 + seq % 3000, seq % 5 FROM seq_1_to_5000",
]
ROWS = [("django_migrations", "the migrations django_migrations lists",
         "SELECT app, name FROM {db}.django_migrations ORDER BY id")] + [
    (t, "the rows of " + t, "SELECT * FROM {db}.%s ORDER BY id" % t)
    for t in ("auth_user", "shop_category", "shop_product", "shop_review", "shop_supplier")]


def make_project(work):
    project = os.path.join(work, "project")
    shutil.rmtree(project, ignore_errors=True)
    os.makedirs(project)
    subprocess.run([sys.executable, "-m", "django", "startproject", "mysite", project], check=True)
    shutil.copytree(os.path.join(HERE, "django", "shop"), os.path.join(project, "shop"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    with open(os.path.join(project, "mysite", "settings.py"), "a") as f:
        f.write(SETTINGS)
    return project


def main():
    work = os.path.join(os.environ["SEALGATE_SCRATCH_DIR"], "django-%d" % os.getpid())
    os.makedirs(work, exist_ok=True)
    project = make_project(work)

    def migrate(target):
        log = os.path.join(work, target.label + ".log")
        schema_log = os.path.join(work, target.label + "-schema.sql")
        open(schema_log, "w").close()
        env = dict(os.environ, E2E_DATABASE=target.database, E2E_HOST=target.host, E2E_PORT=str(target.port),
                   E2E_SCHEMA_LOG=schema_log, PYTHONDONTWRITEBYTECODE="1")

        def manage(*args):
            problems = mc.run_tool([sys.executable, "manage.py", *args], log, MIGRATE_TIMEOUT, cwd=project, env=env)
            with open(schema_log) as f:
                sent = [line.rstrip() for line in f if line.strip()]
            if problems and sent:
                problems[0] += "\n  the last schema statement Django sent: " + sent[-1]
            return problems

        # The app's 0001 (with what it depends on), the rows, then the rest.
        problems = manage("migrate", "--no-input", "shop", "0001")
        if problems:
            return problems
        problems = target.execute(SEED) or manage("migrate", "--no-input")
        if not target.via_proxy:
            # The app's migrations describe its models exactly (else this proves little).
            problems += manage("makemigrations", "--check", "--dry-run", "shop")
        return problems

    return mc.direct_and_through_sealgate("django", migrate, ROWS)


if __name__ == "__main__":
    sys.exit(main())
