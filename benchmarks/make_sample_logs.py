"""Regenerate sample_logs/: a small, deterministic, realistic log tree with the usual traps.

Usage: python benchmarks/make_sample_logs.py [TARGET_DIR]   (default: sample_logs next to it)
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

START = datetime(2026, 11, 27, 2, 0, 0)


def syslog_app(rng: random.Random, count: int, day_offset: int = 0) -> str:
    lines = []
    moment = START - timedelta(days=day_offset)
    for _ in range(count):
        moment += timedelta(milliseconds=rng.randint(50, 4000))
        stamp = f"{moment:%b} {moment.day:2d} {moment:%H:%M:%S}"
        roll = rng.random()
        latency = rng.randint(1, 900)
        size = rng.randint(80, 60000)
        ratio = (
            f"{rng.choice('-')}{rng.randint(0, 1)}.{rng.randint(0, 99):02d}"
            if rng.random() < 0.3
            else f"0.{rng.randint(0, 99):02d}"
        )
        if roll < 0.04:
            message = (
                f"ERROR upstream timeout path=/api/v1/orders latency_ms={latency * 10} retries=3"
            )
        elif roll < 0.10:
            message = (
                f"WARN request handled path=/x latency_ms={latency} bytes={size} ratio={ratio}"
            )
        elif roll < 0.12:
            message = "INFO ERROR budget recalculated for tenant=acme remaining=0.75"
        elif roll < 0.14:
            message = f"DEBUG cache stats hits={rng.randint(0, 10**6)} misses={rng.randint(0, 5000)} hit_ratio={rng.random():.4f}"  # noqa: E501
        else:
            message = (
                f"INFO request handled path=/x latency_ms={latency} bytes={size} ratio={ratio}"
            )
        lines.append(f"{stamp} node01 api[4242]: {message}\n")
    return "".join(lines)


def hdfs_datanode(rng: random.Random, count: int) -> str:
    lines = []
    moment = START
    trace = (
        "java.io.IOException: Connection reset by peer\n"
        "\tat sun.nio.ch.FileDispatcherImpl.read0(Native Method)\n"
        "\tat org.apache.hadoop.hdfs.server.datanode.BlockReceiver.receivePacket(BlockReceiver.java:502)\n"  # noqa: E501
        "\tat org.apache.hadoop.hdfs.server.datanode.DataXceiver.run(DataXceiver.java:253)\n"
        "Caused by: java.net.SocketException: ERROR reading from socket\n"
        "\t... 4 more\n"
    )
    for index in range(count):
        moment += timedelta(milliseconds=rng.randint(1, 3000))
        stamp = moment.strftime("%Y-%m-%d %H:%M:%S,") + f"{moment.microsecond // 1000:03d}"
        roll = rng.random()
        block = f"blk_{rng.randint(10**17, 10**18)}"
        if roll < 0.03:
            lines.append(
                f"{stamp} ERROR org.apache.hadoop.hdfs.server.datanode.DataNode: node02:50010:DataXceiver error processing WRITE_BLOCK operation\n"  # noqa: E501
            )
            lines.append(trace)
        elif roll < 0.08:
            lines.append(
                f"{stamp} WARN org.apache.hadoop.hdfs.server.datanode.DataNode: Slow BlockReceiver write packet to mirror took {rng.randint(300, 9000)}ms (threshold=300ms)\n"  # noqa: E501
            )
        else:
            lines.append(
                f"{stamp} INFO org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace: src: /10.0.0.{index % 250}:50010, dest: /10.0.0.7:{rng.randint(30000, 60000)}, bytes: {rng.randint(1000, 10**8)}, op: HDFS_READ, blockid: {block}\n"  # noqa: E501
            )
    return "".join(lines)


def access_log(rng: random.Random, count: int) -> str:
    lines = []
    moment = START
    paths = ["/", "/index.html", "/api/v1/orders", "/static/app.js", "/login", "/ERROR-page"]
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(0, 5))
        status = rng.choices([200, 304, 404, 403, 500, 503], weights=[80, 8, 6, 2, 2, 2])[0]
        size = "-" if status == 304 else str(rng.randint(0, 50000))
        stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
        lines.append(
            f'10.1.{rng.randint(0, 9)}.{rng.randint(1, 254)} - - [{stamp}] "GET {rng.choice(paths)} HTTP/1.1" '  # noqa: E501
            f'{status} {size} "https://example.org/" "Mozilla/5.0 (X11; Linux x86_64)"\n'
        )
    return "".join(lines)


def apache_error(rng: random.Random, count: int) -> str:
    lines = []
    moment = START
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(1, 600))
        stamp = moment.strftime("%a %b %d %H:%M:%S %Y")
        roll = rng.random()
        if roll < 0.3:
            lines.append(
                f"[{stamp}] [error] mod_jk child workerEnv in error state {rng.randint(6, 9)}\n"
            )
        elif roll < 0.4:
            lines.append(
                f"[{stamp}] [warn] child process {rng.randint(1000, 9999)} still did not exit, sending a SIGTERM\n"  # noqa: E501
            )
        elif roll < 0.5:
            lines.append(
                f"[{stamp}] [core:error] [pid {rng.randint(1000, 9999)}] AH00037: Symbolic link not allowed\n"  # noqa: E501
            )
        else:
            lines.append(
                f"[{stamp}] [notice] jk2_init() Found child {rng.randint(1000, 9999)} in scoreboard slot {rng.randint(1, 12)}\n"  # noqa: E501
            )
    return "".join(lines)


def logcat(rng: random.Random, count: int) -> str:
    lines = []
    moment = START
    tags = ["WindowManager", "ActivityManager", "PowerManagerService", "AndroidRuntime"]
    for _ in range(count):
        moment += timedelta(milliseconds=rng.randint(1, 900))
        stamp = moment.strftime("%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        letter = rng.choices("VDIWEF", weights=[5, 30, 50, 8, 6, 1])[0]
        message = (
            "ERROR reported by client, ignored"
            if letter == "I" and rng.random() < 0.1
            else f"event seq={rng.randint(1, 10**6)}"
        )
        lines.append(
            f"{stamp}  {rng.randint(500, 3000):4d}  {rng.randint(500, 3000):4d} {letter} {rng.choice(tags)}: {message}\n"  # noqa: E501
        )
    return "--------- beginning of main\n" + "".join(lines)


def json_events(rng: random.Random, count: int) -> str:
    lines = []
    moment = START
    for index in range(count):
        moment += timedelta(milliseconds=rng.randint(1, 2000))
        level = rng.choices(["info", "warn", "error", "debug"], weights=[80, 8, 4, 8])[0]
        event = {
            "ts": moment.isoformat(timespec="milliseconds") + "Z",
            "level": level,
            "msg": "ERROR budget ok" if index % 17 == 0 else "batch ingested",
            "batch": index,
            "rows": rng.randint(0, 10000),
            "duration_s": round(rng.random() * 5, 3),
            "ok": level != "error",
            "source": {"host": "node03", "port": 9092},
        }
        lines.append(json.dumps(event, separators=(",", ":")) + "\n")
    lines.insert(7, '{"ts":"2026-11-27T02:00:09Z","level":"warn","msg":"truncated record\n')
    return "".join(lines)


def windows_service(rng: random.Random, count: int) -> bytes:
    lines = []
    moment = START
    for _ in range(count):
        moment += timedelta(seconds=rng.randint(1, 60))
        level = rng.choices(["INFO", "WARN", "ERROR"], weights=[85, 10, 5])[0]
        lines.append(
            f"{moment:%Y-%m-%d %H:%M:%S} {level} BackupService queue_depth={rng.randint(0, 40)}\r\n"
        )
    return "".join(lines).encode()


def main(target: Path) -> None:
    rng = random.Random(20261127)
    files: dict[str, bytes] = {
        "node01/api/app.log": syslog_app(rng, 1200).encode(),
        "node01/api/app.log.1.gz": gzip.compress(
            syslog_app(rng, 800, day_offset=1).encode(), mtime=0
        ),
        "node01/batch/nightly.log": hdfs_datanode(rng, 60)
        .rstrip("\n")
        .encode(),  # no final newline
        "node02/hdfs/hadoop-hdfs-datanode.log": hdfs_datanode(rng, 600).encode(),
        "node02/httpd/access.log": access_log(rng, 900).encode(),
        "node02/httpd/error.log": apache_error(rng, 300).encode(),
        "node03/android/logcat.txt": logcat(rng, 800).encode(),
        "node03/ingest/events.jsonl": json_events(rng, 600).encode(),
        "node03/winsvc/BackupService.log": windows_service(rng, 300),
    }
    for relative, data in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent.parent / "sample_logs")
