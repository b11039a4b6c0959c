"""Starts build/sealgate in front of the test MariaDB for client tests.

The environment comes from ctest (tests/CMakeLists.txt): SEALGATE_BINARY,
SEALGATE_TEST_HOST/PORT/USER/PASSWORD, SEALGATE_SCRATCH_DIR.
"""
import os
import socket
import subprocess
import time

ENV = os.environ


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upstream():
    return dict(host=ENV["SEALGATE_TEST_HOST"], port=int(ENV["SEALGATE_TEST_PORT"]),
                user=ENV["SEALGATE_TEST_USER"], password=ENV["SEALGATE_TEST_PASSWORD"])


class Proxy:
    def __init__(self, *extra_args):
        self.port = free_port()
        os.makedirs(ENV["SEALGATE_SCRATCH_DIR"], exist_ok=True)
        self.log_path = os.path.join(ENV["SEALGATE_SCRATCH_DIR"], "sealgate-py-%d.log" % self.port)
        up = upstream()
        args = [ENV["SEALGATE_BINARY"], "--listen", "127.0.0.1:%d" % self.port,
                "--upstream", "%s:%d" % (up["host"], up["port"]),
                "--http", "127.0.0.1:%d" % free_port(),
                "--admin-user", up["user"], "--admin-password", up["password"], *extra_args]
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sealgate exited: " + open(self.log_path).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("sealgate did not start: " + open(self.log_path).read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode
