"""Bytes read move during a long scan: the scanner's ReadCounter, and a worker's heartbeats that
carry it to the head before the file is finished. The scan is held at chosen offsets by a gated
file (events, each wait with a timeout), never timed with sleeps."""

import os
import threading

import pytest

from logcrunch import defaults
from logcrunch import worker as worker_module
from logcrunch.broker import Broker
from logcrunch.scan import ReadCounter, ScanConfig, scan_file
from logcrunch.transport import BrokerServer
from logcrunch.worker import WorkerOptions, WorkerProcess
from tests.helpers import wait_until

KEY = b"k" * 32
WAIT = 30.0
CHUNK = defaults.CHUNK_SIZE  # the scanner reads this much a step: gates fall between its reads
SIZE = 4 * CHUNK


class GatedFile:
    """A real file whose reads stop at each offset of ``gates`` until the test lets them on."""

    def __init__(self, path: str, gates: list[int]) -> None:
        self.file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by the scanner
        self.gates = list(gates)
        self.position = 0
        self.reached = threading.Event()
        self.release = threading.Event()

    def read(self, count: int = -1) -> bytes:
        if self.gates and self.position >= self.gates[0]:
            self.gates.pop(0)
            self.release.clear()
            self.reached.set()
            assert self.release.wait(WAIT), "the test never let the read go on"
        data = self.file.read(count)
        self.position += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.position = self.file.seek(offset, whence)
        return self.position

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()

    def held_at(self) -> int:
        """Wait until the read stops at the next gate; the offset it stopped at."""
        assert self.reached.wait(WAIT), "the scan never reached the gate"
        self.reached.clear()
        return self.position

    def go_on(self) -> None:
        self.release.set()


@pytest.fixture
def big_log(tmp_path):
    path = tmp_path / "big.log"
    line = b"2024-05-01T10:00:00Z ERROR disk full on /dev/sda1 after 12 retries\n"
    path.write_bytes(line * (SIZE // len(line)))
    return path


def test_the_read_counter_follows_the_scan_and_stops_with_it(big_log):
    gated = GatedFile(str(big_log), [CHUNK // 2, 5 * CHUNK // 2])
    counter = ReadCounter()
    result = {}
    scanning = threading.Thread(target=lambda: result.update(summary=scan_file(
        str(big_log), ScanConfig(), opener=lambda _path: gated, counter=counter)))
    scanning.start()
    seen = []
    for _gate in range(2):
        seen.append((gated.held_at(), counter.bytes_read()))
        gated.go_on()
    scanning.join(WAIT)
    assert not scanning.is_alive() and result["summary"].status == "ok"
    (first_at, first), (second_at, second) = seen
    assert (first, second) == (first_at, second_at)  # every byte taken from the file, no more
    assert 0 < first < second < big_log.stat().st_size
    assert counter.bytes_read() == 0  # no task: nothing to report


def test_a_range_counts_from_its_own_start(big_log):
    start = 3 * CHUNK // 2
    gated = GatedFile(str(big_log), [start + CHUNK // 2])
    counter = ReadCounter()
    scanning = threading.Thread(target=lambda: scan_file(
        str(big_log), ScanConfig(), start, start + 3 * CHUNK // 2, opener=lambda _p: gated,
        counter=counter))
    scanning.start()
    held = gated.held_at()
    assert counter.bytes_read() == held - start
    gated.go_on()
    scanning.join(WAIT)
    assert not scanning.is_alive()


def test_a_worker_reports_increasing_bytes_before_it_finishes_a_big_file(big_log, monkeypatch):
    gated = GatedFile(str(big_log), [CHUNK // 2, 5 * CHUNK // 2])
    monkeypatch.setattr(worker_module, "open_confined", lambda *_args: gated)
    broker = Broker(scan_config=ScanConfig(), lease_seconds=10, heartbeat_seconds=0.2)
    broker.add_task(str(big_log), big_log.stat().st_size)
    broker.close_submissions()
    server = BrokerServer(broker, ("127.0.0.1", 0), KEY)
    server.start()
    options = WorkerOptions(address=server.address, authkey=KEY, connect_timeout=5,
                            allow_roots=(str(big_log.parent),))
    stop = threading.Event()
    process = WorkerProcess(options, stop=stop)
    working = threading.Thread(target=process.run, daemon=True)
    working.start()
    try:
        reported = []
        for _gate in range(2):
            held = gated.held_at()
            totals = wait_until(lambda at=held: (t := broker.progress()).bytes_done >= at and t,
                                "a heartbeat carrying the bytes read so far", timeout=WAIT)
            assert totals.bytes_done == held  # what was read, no more
            assert totals.files_done == 0  # the file is not finished: this came by heartbeat
            reported.append(totals.bytes_done)
            gated.go_on()
        assert reported[0] < reported[1] < big_log.stat().st_size
        working.join(WAIT)
        assert not working.is_alive()
        totals = broker.progress()
        assert (totals.bytes_done, totals.files_done) == (big_log.stat().st_size, 1)
    finally:
        stop.set()
        gated.go_on()
        server.close()
        working.join(WAIT)


def test_a_compressed_file_counts_its_compressed_bytes(tmp_path):
    import gzip
    import random

    rng = random.Random(7)
    text = "".join(f"2024-05-01T10:00:00Z INFO token {rng.getrandbits(128):032x}\n"
                   for _ in range(60_000))
    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(text.encode(), compresslevel=1))
    size = path.stat().st_size
    gated = GatedFile(str(path), [size // 2])
    counter = ReadCounter()
    result = {}
    scanning = threading.Thread(target=lambda: result.update(summary=scan_file(
        str(path), ScanConfig(), opener=lambda _p: gated, counter=counter)))
    scanning.start()
    held = gated.held_at()
    assert counter.bytes_read() == held and 0 < held < size  # the same unit as the task's size
    gated.go_on()
    scanning.join(WAIT)
    assert result["summary"].status == "ok" and result["summary"].lines == 60_000
