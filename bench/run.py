"""`make bench`: every figure of BENCHMARKS.md, measured on this machine, side by side with the peers.

    python bench/run.py [--runs 3] [--skip-nlu] [--skip-serving] [--skip-training]

Writes bench/results/latest.json and BENCHMARKS.md. Run by hand (not in CI): it takes 15-40 minutes,
most of it training the Rasa-default peer the first time (cached in bench/.cache/ afterwards).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import nlu_quality  # noqa: E402
import serving  # noqa: E402
from peers.tfidf_logreg import TfidfLogReg  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
RASA = str(serving.BIN / "rasa")
PY = sys.executable


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def timed(command: List[str], **kwargs) -> float:
    began = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    return round(time.perf_counter() - began, 1)


# -- NLU ---------------------------------------------------------------------------------------
def peer_model(config: str, label: str, duration: str) -> Path:
    """A peer pipeline trained on today's training data: cached under a hash of data/ and its config."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "data").rglob("*.yml")) + [ROOT / config]:
        digest.update(path.read_bytes())
    name = f"peer-{label}-{digest.hexdigest()[:12]}"
    model = CACHE / f"{name}.tar.gz"
    if not model.exists():
        log(f"training the {label} peer: {duration} on 2 cores")
        timed([RASA, "train", "nlu", "--config", str(ROOT / config), "--nlu",
               str(ROOT / "data"), "--out", str(CACHE), "--fixed-model-name", name], cwd=ROOT)
    return model


def rasa_default_peer() -> Path:
    return peer_model("bench/peers/rasa_default_config.yml", "rasa-default", "DIET, 100 epochs: about 25 minutes")


def previous_model_peer() -> Path:
    return peer_model("bench/peers/tfidf_previous_config.yml", "previous-tfidf", "about 2 minutes")


def nlu_section() -> Dict[str, object]:
    log("NLU: this assistant")
    ours = nlu_quality.RasaModel(ROOT / "models" / "assistant.tar.gz")
    report = {"assistant": nlu_quality.evaluate(ours.predict)}
    log("NLU: peer TF-IDF + logistic regression")
    report["tfidf_logreg"] = nlu_quality.evaluate(TfidfLogReg.trained().predict)
    log("NLU: the previous model (n-grams only)")
    report["previous"] = nlu_quality.evaluate(nlu_quality.RasaModel(previous_model_peer()).predict)
    log("NLU: peer Rasa default pipeline")
    report["rasa_default"] = nlu_quality.evaluate(nlu_quality.RasaModel(rasa_default_peer()).predict)
    return report


# -- conversations -----------------------------------------------------------------------------
def conversations_section() -> Dict[str, object]:
    """The independent conversation set, replayed end to end at its frozen clocks. It is not part of this
    repository: the maintainers keep it, and a clone that has it puts it in shared/conversations beside
    the clone's folder (hence ROOT.parent); without it this section is skipped."""
    runner = ROOT.parent / "shared" / "conversations" / "run.py"
    if not runner.exists() or not shutil.which("faketime"):
        log("conversations: skipped (../shared/conversations or faketime missing; `make conversations` installs faketime)")
        return {}
    report_file = RESULTS / "raw" / "conversations-report.json"
    report_file.parent.mkdir(parents=True, exist_ok=True)
    log("conversations: replaying the shared set at six frozen clocks")
    subprocess.run([PY, str(runner), str(ROOT), "--report", str(report_file)], cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    found = json.loads(report_file.read_text())
    return {"per_file": found["per_file"], "leaks": found["leaks"],
            "failing": sorted(f["id"] for f in found["failures"])}


# -- serving -----------------------------------------------------------------------------------
def assistant_target(tmp: Path, companies: Path) -> serving.Target:
    action_port, rasa_port = serving.free_port(), serving.free_port()
    env = {"ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook", "TRACKER_DIALECT": "sqlite",
           "TRACKER_DB": str(tmp / "tracker.db"), "ASSISTANT_COMPANIES_DIR": str(companies),
           "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24)}  # served as scripts/serve does
    return serving.Target(
        "assistant",
        [[PY, "-m", "actions.server", "--port", str(action_port)],
         [RASA, "run", "--model", str(ROOT / "models/assistant.tar.gz"), "--endpoints", "endpoints.yml",
          "--credentials", "credentials.yml", "--port", str(rasa_port)]],
        f"http://127.0.0.1:{rasa_port}/webhooks/rest/webhook", script="pt", metadata={"company": "poxnet"}, env=env)


def init_bot_target(tmp: Path) -> serving.Target:
    bot = CACHE / "init-bot"
    if not (bot / "models").exists():
        log("creating and training the `rasa init` example bot")
        shutil.rmtree(bot, ignore_errors=True)
        bot.mkdir(parents=True)  # rasa init wants the folder to exist
        timed([RASA, "init", "--no-prompt", "--init-dir", str(bot)], cwd=CACHE)
    endpoints = tmp / "init-endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {tmp / 'init-tracker.db'}\n")
    port = serving.free_port()
    return serving.Target("rasa-init-bot", [[RASA, "run", "--model", str(bot / "models"), "--endpoints",
                                             str(endpoints), "--port", str(port)]],
                          f"http://127.0.0.1:{port}/webhooks/rest/webhook", script="init", cwd=bot)


def echo_target() -> serving.Target:
    port = serving.free_port()
    return serving.Target("sanic-echo", [[PY, str(ROOT / "bench/peers/echo.py"), str(port)]],
                          f"http://127.0.0.1:{port}/webhooks/rest/webhook", script="pt")


def edit_live(target: serving.Target, companies: Path, rounds: int = 3) -> Dict[str, float]:
    """Seconds from saving an edited company file to the first reply with the new text."""
    import re
    import uuid

    import requests

    path = companies / "poxnet.yml"
    times = []
    for round_ in range(rounds):
        marker = f"(revisado {round_ + 1})"
        text, count = re.subn(r'pt: "DNS principal: 177\.86\.16\.9[^\\]*', f'pt: "DNS principal: 177.86.16.9 {marker}', path.read_text())
        assert count == 1, "the DNS answer of poxnet.yml changed: update the benchmark's edit"
        path.write_text(text)
        saved = time.perf_counter()
        while time.perf_counter() - saved < 30:
            reply = requests.post(target.url, json=target.payload(f"edit-{uuid.uuid4().hex[:8]}", "qual o dns de vcs?"), timeout=10)
            if marker in json.dumps(reply.json(), ensure_ascii=False):
                times.append(round(time.perf_counter() - saved, 3))
                break
            time.sleep(0.02)
        else:
            times.append(float("inf"))
    return {"edit_live_s": max(times), "edit_live_rounds_s": times}


def serving_section(runs: int, conversations: int, concurrency: int, seconds: float) -> Dict[str, List[Dict]]:
    results: Dict[str, List[Dict]] = {"assistant": [], "rasa-init-bot": [], "sanic-echo": []}
    for run in range(runs):
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            companies = tmp / "companies"
            shutil.copytree(ROOT / "companies", companies)
            log(f"serving run {run + 1}/{runs}: assistant")
            target = assistant_target(tmp, companies)
            results["assistant"].append(serving.measure(target, tmp, conversations, concurrency, seconds,
                                                        extra=lambda t: edit_live(t, companies)))
            log(f"serving run {run + 1}/{runs}: rasa init example bot")
            results["rasa-init-bot"].append(serving.measure(init_bot_target(tmp), tmp, conversations, concurrency, seconds))
            log(f"serving run {run + 1}/{runs}: sanic echo")
            results["sanic-echo"].append(serving.measure(echo_target(), tmp, conversations, concurrency, seconds))
    return results


def training_section(runs: int) -> Dict[str, List[float]]:
    """Full training from scratch, then retraining after one new NLU example, in a scratch copy.

    The copy has its own graph cache (.rasa/ in its folder), so the first training starts cold, and the
    second is what a data writer waits for after editing data/nlu: Rasa's cache reuses the dialogue
    policies and retrains the NLU components.
    """
    full, nlu = [], []
    for run in range(runs):
        with tempfile.TemporaryDirectory() as name:
            copy = Path(name)
            for part in ("data", "domain.yml", "config.yml", "policies"):
                source = ROOT / part
                (shutil.copytree if source.is_dir() else shutil.copy)(source, copy / part)
            env = {**os.environ, "PYTHONPATH": str(copy)}
            log(f"training run {run + 1}/{runs}: full")
            full.append(timed([RASA, "train", "--force", "--out", "models", "--fixed-model-name", "full"], cwd=copy, env=env))
            with (copy / "data/nlu/pt-BR/general.yml").open("a") as nlu_file:
                nlu_file.write(f"- intent: ask_plans\n  examples: |\n    - qual plano vcs indicam pra home office {run}\n")
            log(f"training run {run + 1}/{runs}: after one new NLU example")
            nlu.append(timed([RASA, "train", "--out", "models", "--fixed-model-name", "nlu"], cwd=copy, env=env))
    return {"full_s": full, "nlu_only_s": nlu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="serving runs")
    parser.add_argument("--training-runs", type=int, default=2, help="full and NLU-only trainings (3 min each)")
    parser.add_argument("--conversations", type=int, default=25, help="sequential 8-turn conversations a run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--skip-nlu", action="store_true")
    parser.add_argument("--skip-serving", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-conversations", action="store_true")
    parser.add_argument("--skip-faults", action="store_true")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    latest = RESULTS / "latest.json"
    report = json.loads(latest.read_text()) if latest.exists() else {}
    report["machine"] = {"cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                         "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
                         "date": time.strftime("%Y-%m-%d")}
    if not args.skip_nlu:
        report["nlu"] = nlu_section()
    if not args.skip_conversations:
        report["conversations"] = conversations_section() or report.get("conversations", {})
    if not args.skip_serving:
        report["serving"] = serving_section(args.runs, args.conversations, args.concurrency, args.seconds)
    if not args.skip_training:
        report["training"] = training_section(args.training_runs)
    if not args.skip_faults:
        import faults  # noqa: E402

        log("the shared deployment under faults (bench/faults.py)")
        report["faults"] = faults.measure()
    latest.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    import report as markdown  # noqa: E402

    (ROOT / "BENCHMARKS.md").write_text(markdown.render(report))
    log(f"wrote {latest} and BENCHMARKS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
