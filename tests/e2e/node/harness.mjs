// Starts build/sealgate in front of the test MariaDB for the JavaScript client
// tests (environment from ctest: SEALGATE_BINARY, SEALGATE_TEST_*, SEALGATE_SCRATCH_DIR).
import { spawn } from 'node:child_process';
import net from 'node:net';
import fs from 'node:fs';

const env = process.env;

export function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => { const p = srv.address().port; srv.close(() => resolve(p)); });
  });
}

async function waitForPort(p) {
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(p, '127.0.0.1', () => { s.end(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('sealgate did not start');
}

// A running proxy: { port, credentials, stop() -> exit code }.
export async function startProxy(name) {
  const port = await freePort();
  fs.mkdirSync(env.SEALGATE_SCRATCH_DIR, { recursive: true });
  const log = fs.openSync(`${env.SEALGATE_SCRATCH_DIR}/sealgate-${name}-${port}.log`, 'w');
  const proc = spawn(env.SEALGATE_BINARY, ['--listen', `127.0.0.1:${port}`,
    '--upstream', `${env.SEALGATE_TEST_HOST}:${env.SEALGATE_TEST_PORT}`, '--http', `127.0.0.1:${await freePort()}`,
    '--admin-user', env.SEALGATE_TEST_USER, '--admin-password', env.SEALGATE_TEST_PASSWORD,
    '--metadata-schema', `_sgtest_${name}_${port}`], { stdio: ['ignore', log, log] });
  await waitForPort(port);
  return {
    port,
    credentials: { host: '127.0.0.1', port, user: env.SEALGATE_TEST_USER, password: env.SEALGATE_TEST_PASSWORD },
    stop() {
      const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
      proc.kill('SIGTERM');
      return exited;
    },
  };
}
