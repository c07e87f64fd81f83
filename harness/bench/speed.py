"""One emulator speed measurement, printed as JSON. `make bench` runs it twice in
fresh processes, with HARNESS_PLAIN_MOTO=1 (moto as shipped) and without (the
speed-ups of harness/emulator/acceleration.py), because the speed-ups patch moto for the
whole process."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from harness.bench.measure import latency, throughput, unique
from harness.deploy.stack import deploy
from harness.emulator.embedded import EmbeddedEmulator
from harness.observe.observer import Observer

CONCURRENCY = 20


def dual(index: int) -> dict:
    return {
        "notification_id": unique("speed"),
        "delivery_mode": "dual",
        "message_content": "benchmark",
        "user_phone": "+14155550100",
        "user_email": f"speed-{index}@example.com",
    }


def main() -> int:
    runs = int(os.environ.get("BENCH_RUNS", "10"))
    with EmbeddedEmulator() as emulator:
        with tempfile.TemporaryDirectory(prefix="bench-terraform-") as workdir:
            observer = Observer(deploy(Path(workdir), emulator.endpoint_url, var_file=None).outputs)
        observer.wait(observer.start(dual(0)), timeout=120)  # warm-up: first-use imports and caches
        sequential = latency(observer, dual, runs)
        concurrent = throughput(observer, dual, concurrency=CONCURRENCY, total=CONCURRENCY * 3)
    json.dump(
        {
            "accelerated": emulator.accelerated,
            "latency_median": sequential.median,
            "latency_p95": sequential.p95,
            "throughput": concurrent,
            "concurrency": CONCURRENCY,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
