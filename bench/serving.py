"""Serving measurements: cold start, full-turn latency, throughput at saturation, peak memory.

Each target is a set of processes this module starts on free loopback ports and stops again; the load
comes from this process (aiohttp), bounded in count and time, to 127.0.0.1 only.
"""
from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import aiohttp
import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

# About 8 turns, answered from the company file (no handoff, which would pause the conversation).
CONVERSATIONS = {
    "pt": ["oi boa tarde", "vcs atendem em votorantim?", "qual o dns de vcs", "como pego a 2 via do boleto",
           "da pra pagar no pix?", "o financeiro abre que horas?", "valeu", "tchau"],
    "es": ["buenas tardes", "en que ciudades tienen cobertura?", "cual es el dns?", "como saco la factura",
           "como puedo pagar?", "a que hora abre ventas?", "muchas gracias", "chao"],
    "init": ["hello", "how are you", "I am great", "bye", "hi there", "I am sad", "yes", "goodbye"],
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Target:
    """A served bot: the processes, the webhook URL, the conversation script and metadata."""

    name: str
    commands: List[List[str]]
    url: str
    script: str = "pt"
    metadata: Dict[str, str] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)
    cwd: Path = ROOT
    processes: List[subprocess.Popen] = field(default_factory=list)
    logs: List[Path] = field(default_factory=list)

    def start(self, log_dir: Path) -> float:
        """Start every process; seconds until the first real reply (cold start)."""
        began = time.perf_counter()
        for i, command in enumerate(self.commands):
            log = log_dir / f"{self.name}-{i}.log"
            self.logs.append(log)
            self.processes.append(subprocess.Popen(command, cwd=self.cwd, env={**os.environ, **self.env},
                                                   stdout=open(log, "w"), stderr=subprocess.STDOUT))
        deadline = began + 300
        while time.perf_counter() < deadline:
            for process, log in zip(self.processes, self.logs):
                if process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{log.read_text()[-2000:]}")
            try:
                reply = requests.post(self.url, json=self.payload("cold-start", CONVERSATIONS[self.script][0]), timeout=5)
                if reply.ok and reply.json():
                    return time.perf_counter() - began
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} did not answer within 300 s")

    def payload(self, sender: str, text: str) -> Dict[str, object]:
        return {"sender": sender, "message": text, "metadata": self.metadata}

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()

    def pids(self) -> List[int]:
        return [p.pid for p in self.processes]


class PeakRss(threading.Thread):
    """Samples the resident memory of each process (with its children) until stopped."""

    def __init__(self, pids: List[int], every: float = 0.1):
        super().__init__(daemon=True)
        self.pids, self.every, self.peaks = pids, every, {pid: 0 for pid in pids}
        self.running = True

    def run(self) -> None:
        while self.running:
            for pid in self.pids:
                try:
                    process = psutil.Process(pid)
                    rss = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
                    self.peaks[pid] = max(self.peaks[pid], rss)
                except psutil.Error:
                    pass
            time.sleep(self.every)

    def stop(self) -> Dict[int, float]:
        self.running = False
        self.join()
        return {pid: rss / 2**20 for pid, rss in self.peaks.items()}


def percentile(values: List[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def sequential_latency(target: Target, conversations: int) -> Dict[str, float]:
    """One conversation at a time, one message at a time: milliseconds per full turn."""
    session, latencies, errors = requests.Session(), [], 0
    script = CONVERSATIONS[target.script]
    for _ in range(conversations):
        sender = f"seq-{uuid.uuid4().hex[:10]}"
        for text in script:
            began = time.perf_counter()
            reply = session.post(target.url, json=target.payload(sender, text), timeout=30)
            latencies.append(1000 * (time.perf_counter() - began))
            errors += (not reply.ok) or not reply.json()
    return {"turns": len(latencies), "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1), "errors": errors}


async def _saturate(target: Target, concurrency: int, seconds: float) -> Dict[str, float]:
    script = CONVERSATIONS[target.script]
    done, errors, stop_at = 0, 0, time.perf_counter() + seconds
    timeout = aiohttp.ClientTimeout(total=60)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done, errors
        while time.perf_counter() < stop_at:
            sender = f"sat-{uuid.uuid4().hex[:10]}"
            for text in script:
                if time.perf_counter() >= stop_at:
                    return
                try:
                    async with session.post(target.url, json=target.payload(sender, text)) as reply:
                        body = await reply.json()
                        if reply.status != 200 or not body:
                            errors += 1
                        else:
                            done += 1
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    errors += 1

    began = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    return {"concurrency": concurrency, "seconds": round(elapsed, 1), "messages": done,
            "messages_per_s": round(done / elapsed, 1), "errors": errors}


def saturation(target: Target, concurrency: int, seconds: float) -> Dict[str, float]:
    return asyncio.run(_saturate(target, concurrency, seconds))


def measure(target: Target, log_dir: Path, conversations: int, concurrency: int, seconds: float,
            extra: Optional[Callable[[Target], Dict[str, float]]] = None) -> Dict[str, object]:
    cold = target.start(log_dir)
    sampler = PeakRss(target.pids())
    sampler.start()
    try:
        result: Dict[str, object] = {"cold_start_s": round(cold, 1)}
        result["sequential"] = sequential_latency(target, conversations)
        result["saturation"] = saturation(target, concurrency, seconds)
        if extra:
            result.update(extra(target))
    finally:
        peaks = sampler.stop()
        target.stop()
    result["peak_rss_mb"] = [round(peaks[p], 1) for p in peaks]
    return result


def median_and_spread(values: List[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:g}"
    return f"{statistics.median(values):g} ({min(values):g}–{max(values):g})"
