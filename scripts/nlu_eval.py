"""`rasa test nlu` on each held-out variant (tests/nlu/<variant>/), then one table of accuracy and macro-F1.

Rasa's evaluation replaces an nlu_fallback prediction by the model's top intent (BENCHMARKS.md, from
`make bench`, counts a fallback as an error). Reports: results/nlu/<variant>/intent_report.json.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).parent / "rasa")
rows = []
for variant in ("pt-BR", "pt-PT", "es"):
    out = ROOT / "results" / "nlu" / variant
    subprocess.run(
        [RASA, "test", "nlu", "--model", str(ROOT / "models" / "assistant.tar.gz"),
         "--nlu", str(ROOT / "tests" / "nlu" / variant), "--out", str(out), "--no-plot"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    report = json.loads((out / "intent_report.json").read_text())
    rows.append((variant, report["macro avg"]["support"], 100 * report["accuracy"], 100 * report["macro avg"]["f1-score"]))
print("| variant | held-out messages | accuracy | macro-F1 |\n|---|---|---|---|")
for variant, n, accuracy, f1 in rows:
    print(f"| {variant} | {n} | {accuracy:.1f}% | {f1:.1f}% |")
