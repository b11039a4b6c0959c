// A knex migration pointed at sealgate: its plain ALTERs become online
// deploys; application traffic keeps flowing and mysql2 prepared statements
// keep working after the seal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import mysql from 'mysql2/promise';
import { startProxy } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let proxy;

const connection = () => ({ ...proxy.credentials, database: 'knex_e2e' });

before(async () => {
  proxy = await startProxy('knex');
  const c = await mysql.createConnection({ ...connection(), database: undefined });
  await c.query('DROP DATABASE IF EXISTS knex_e2e');
  await c.query('CREATE DATABASE knex_e2e CHARACTER SET utf8mb4');
  await c.query('CREATE TABLE knex_e2e.gadgets (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(40) NOT NULL)');
  await c.query("INSERT INTO knex_e2e.gadgets (name) SELECT CONCAT('g', seq) FROM knex_e2e.seq_1_to_2000");
  await c.end();
});

after(async () => {
  assert.equal(await proxy.stop(), 0);
});

test('knex migrate:latest through sealgate, with traffic and prepared statements', async () => {
  const app = await mysql.createConnection(connection());
  const [before] = await app.execute('SELECT name FROM gadgets WHERE id = ?', [7]);
  assert.equal(before[0].name, 'g7');

  let stop = false;
  let writes = 0;
  const errors = [];
  const traffic = (async () => {
    const pool = mysql.createPool({ ...connection(), connectionLimit: 4 });
    while (!stop) {
      try {
        await pool.execute('INSERT INTO gadgets (name) VALUES (?)', [`live${writes}`]);
        writes++;
      } catch (e) {
        errors.push(e.message);
      }
    }
    await pool.end();
  })();

  const knex = knexFactory({ client: 'mysql2', connection: connection(),
    migrations: { directory: path.join(here, 'migrations'), loadExtensions: ['.cjs'] } });
  const [batch, log] = await knex.migrate.latest();
  assert.equal(batch, 1);
  assert.equal(log.length, 1);
  stop = true;
  await traffic;
  await knex.destroy();

  assert.deepEqual(errors, []);
  assert.ok(writes > 0);
  const [cols] = await app.query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='knex_e2e' AND TABLE_NAME='gadgets' ORDER BY ORDINAL_POSITION");
  assert.deepEqual(cols.map((c) => c.COLUMN_NAME), ['id', 'name', 'color']);
  const [count] = await app.query("SELECT COUNT(*) AS n FROM gadgets WHERE name LIKE 'live%'");
  assert.equal(count[0].n, writes);
  // The statement prepared before the seal still works against the new table.
  const [again] = await app.execute('SELECT name, color FROM gadgets WHERE id = ?', [7]);
  assert.equal(again[0].color, 'grey');
  const [stillOld] = await app.execute('SELECT name FROM gadgets WHERE id = ?', [8]);
  assert.equal(stillOld[0].name, 'g8');
  await app.end();
});
