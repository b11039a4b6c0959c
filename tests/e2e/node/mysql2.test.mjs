// npm mysql2 through sealgate: prepared statements (execute), multipleStatements,
// errors, transactions, concurrency.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startProxy } from './harness.mjs';

let proxy;
let port;

const connect = (extra = {}) => mysql.createConnection({
  ...proxy.credentials, database: 'node_e2e', ...extra,
});

before(async () => {
  proxy = await startProxy('mysql2');
  port = proxy.port;
  const c = await mysql.createConnection(proxy.credentials);
  await c.query('DROP DATABASE IF EXISTS node_e2e');
  await c.query('CREATE DATABASE node_e2e CHARACTER SET utf8mb4');
  await c.end();
});

after(async () => {
  assert.equal(await proxy.stop(), 0);
});

test('execute() prepared statements with many types', async () => {
  const c = await connect();
  await c.query('CREATE OR REPLACE TABLE people (id INT PRIMARY KEY, name VARCHAR(40), born DATE, score DOUBLE, note TEXT NULL)');
  for (let i = 1; i <= 30; i++) {
    await c.execute('INSERT INTO people VALUES (?, ?, ?, ?, ?)',
      [i, `name ${i} 🚀`, '1990-01-0' + ((i % 9) + 1), i / 4, i % 3 ? null : 'n'.repeat(i * 100)]);
  }
  const [rows] = await c.execute('SELECT id, name, score, note FROM people WHERE id > ? ORDER BY id', [25]);
  assert.equal(rows.length, 5);
  assert.equal(rows[0].id, 26);
  assert.equal(rows[0].name, 'name 26 🚀');
  assert.equal(rows[0].score, 6.5);
  const [again] = await c.execute('SELECT COUNT(*) AS n FROM people WHERE note IS NULL');
  assert.equal(again[0].n, 20);
  await c.end();
});

test('multipleStatements returns every result set', async () => {
  const c = await connect({ multipleStatements: true });
  const [results] = await c.query('SELECT 1 AS a; SELECT 2 AS b, 3 AS c; DO 0; SELECT "x" AS d');
  assert.equal(results.length, 4);
  assert.deepEqual(results[0], [{ a: 1 }]);
  assert.deepEqual(results[1], [{ b: 2, c: 3 }]);
  assert.deepEqual(results[3], [{ d: 'x' }]);
  await c.end();
});

test('server errors keep their number, SQLSTATE and message', async () => {
  const c = await connect();
  await assert.rejects(c.query('SELECT * FROM missing_table'),
    (e) => e.errno === 1146 && e.sqlState === '42S02' && /missing_table/.test(e.sqlMessage));
  await assert.rejects(c.execute('SELECT * FROM missing_table WHERE id = ?', [1]), (e) => e.errno === 1146);
  const [rows] = await c.query('SELECT 5 AS five');
  assert.equal(rows[0].five, 5);
  await c.end();
});

test('transactions', async () => {
  const c = await connect();
  await c.query('CREATE OR REPLACE TABLE ledger (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
  await c.beginTransaction();
  await c.execute('INSERT INTO ledger VALUES (?, ?)', [1, 10]);
  await c.rollback();
  await c.beginTransaction();
  await c.execute('INSERT INTO ledger VALUES (?, ?)', [2, 20]);
  await c.commit();
  const [rows] = await c.query('SELECT id FROM ledger');
  assert.deepEqual(rows, [{ id: 2 }]);
  await c.end();
});

test('a pool of concurrent connections', async () => {
  const pool = mysql.createPool({ ...proxy.credentials, database: 'node_e2e', connectionLimit: 20 });
  await pool.query('CREATE OR REPLACE TABLE counter (id INT PRIMARY KEY AUTO_INCREMENT, who INT)');
  await Promise.all(Array.from({ length: 400 }, (_, i) => pool.execute('INSERT INTO counter (who) VALUES (?)', [i])));
  const [rows] = await pool.query('SELECT COUNT(DISTINCT who) AS n FROM counter');
  assert.equal(rows[0].n, 400);
  await pool.end();
});
