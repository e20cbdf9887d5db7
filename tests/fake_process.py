"""Start a local payment fake (tests/fake_wechatpay.py, tests/fake_alipay.py) as a process of
its own, and make RSA key pairs: for the test fixtures (tests/payment_fakes.py) and the
benchmarks (bench/giving.py). Only the standard library and cryptography: no pytest here."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = Path(__file__).resolve().parent


def key_pair() -> tuple[str, str]:
    """(private PKCS#8 PEM, public PEM) of a new 2048-bit RSA key, as the merchants have."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(script: str, config: dict, folder: Path):
    """(process, base URL, log file) once the fake answers; RuntimeError if it does not."""
    port = _free_port()
    config_path = folder / "config.json"
    config_path.write_text(json.dumps(config))
    log = (folder / "fake.log").open("wb")
    process = subprocess.Popen([sys.executable, str(HERE / script), "--port", str(port),
                                "--config", str(config_path)], stdout=log,
                               stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_fake/keys", timeout=1):
                return process, base, log
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.close()
                raise RuntimeError(f"{script} did not start (see {log.name})") from None
            time.sleep(0.1)


def stop(process, log) -> None:
    process.terminate()
    process.wait(10)
    log.close()
