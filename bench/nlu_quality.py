"""NLU quality of a trained Rasa model on the held-out files: per variant, plus robustness and off-topic.

    python bench/nlu_quality.py [--model models/assistant.tar.gz] [--json out.json]

Accuracy counts a fallback (nlu_fallback) as wrong; macro-F1 is over the catalogue's intents.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import yaml
from sklearn.metrics import accuracy_score, f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the model names the project's components (policies.*)

from policies.text_noise import add_noise, strip_accents  # noqa: E402
VARIANTS = ("pt-BR", "pt-PT", "es")
BLIND = ROOT / "bench" / "blind"
FALLBACK = "nlu_fallback"
# One noise draw moves a variant's accuracy by about +-1.5 points (295 messages): the figure is the mean
# over several draws, with the worst and best draw beside it.
NOISE_SEEDS = range(8)


def read_examples(paths: List[Path]) -> List[Tuple[str, str]]:
    examples = []
    for path in paths:
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    examples.append((line[2:].strip(), block["intent"]))
    return examples


def held_out(variant: str) -> List[Tuple[str, str]]:
    return read_examples(sorted((ROOT / "tests" / "nlu" / variant).glob("*.yml")))


def independent(variant: str) -> List[Tuple[str, str]]:
    """Written from the seeds and customer situations only, by writers who never saw the training data."""
    return read_examples([ROOT / "tests" / "nlu" / "independent" / f"{variant}.yml"])


def training(variant: str) -> List[Tuple[str, str]]:
    return read_examples(sorted((ROOT / "data" / "nlu" / variant).glob("*.yml")))


def scores(gold: List[str], predicted: List[str]) -> Dict[str, float]:
    labels = sorted(set(gold))
    return {
        "n": len(gold),
        "accuracy": round(100 * accuracy_score(gold, predicted), 2),
        "macro_f1": round(100 * f1_score(gold, predicted, labels=labels, average="macro", zero_division=0), 2),
        "fallback_rate": round(100 * sum(p == FALLBACK for p in predicted) / len(predicted), 2),
    }


def noisy_scores(gold: List[str], texts: List[str], predict: Callable[[List[str]], List[str]]) -> Dict[str, object]:
    """Scores with 10% character noise: the mean over NOISE_SEEDS draws, and the spread of accuracy."""
    draws = [scores(gold, predict([add_noise(t, seed=seed) for t in texts])) for seed in NOISE_SEEDS]
    mean = {key: round(sum(d[key] for d in draws) / len(draws), 2) for key in ("accuracy", "macro_f1", "fallback_rate")}
    accuracies = [d["accuracy"] for d in draws]
    return {"n": len(gold), **mean, "draws": len(draws), "accuracy_min": min(accuracies), "accuracy_max": max(accuracies)}


class RasaModel:
    def __init__(self, model: Path):
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model))
        self.loop = asyncio.new_event_loop()

    def ranked(self, texts: List[str]) -> List[Tuple[str, float, float]]:
        """The model's own top intent (ignoring the fallback), its confidence, and the runner-up's."""

        async def run() -> List[Tuple[str, float, float]]:
            out = []
            for text in texts:
                parsed = await self.agent.parse_message(text)
                ranking = [r for r in parsed.get("intent_ranking", []) if r["name"] != FALLBACK] or [parsed["intent"]]
                second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
                out.append((ranking[0]["name"], ranking[0]["confidence"], second))
            return out

        return self.loop.run_until_complete(run())

    def predict(self, texts: List[str]) -> List[str]:
        async def run() -> List[str]:
            return [(await self.agent.parse_message(t))["intent"]["name"] for t in texts]

        return self.loop.run_until_complete(run())


def evaluate(predict: Callable[[List[str]], List[str]]) -> Dict[str, Dict[str, float]]:
    report: Dict[str, Dict[str, float]] = {}
    for variant in VARIANTS:  # the judge: messages nobody on the team wrote
        data = independent(variant)
        texts, gold = [t for t, _ in data], [i for _, i in data]
        report[f"independent {variant}"] = scores(gold, predict(texts))
        report[f"independent {variant} 10% noise"] = noisy_scores(gold, texts, predict)
    for variant in VARIANTS:
        data = held_out(variant)
        texts, gold = [t for t, _ in data], [i for _, i in data]
        report[variant] = scores(gold, predict(texts))
        report[f"{variant} no accents"] = scores(gold, predict([strip_accents(t) for t in texts]))
        report[f"{variant} 10% noise"] = noisy_scores(gold, texts, predict)
    for variant in VARIANTS:  # written after tuning, by someone who saw neither training nor test data
        data = read_examples([BLIND / f"{variant}.yml"])
        report[f"blind {variant}"] = scores([i for _, i in data], predict([t for t, _ in data]))
    blind_off = [t for t, _ in read_examples([BLIND / "off_topic.yml"])]
    report["blind off-topic"] = {"n": len(blind_off), "rejected": round(
        100 * sum(p in (FALLBACK, "out_of_scope") for p in predict(blind_off)) / len(blind_off), 2)}
    off_topic = [t for t, _ in read_examples([ROOT / "tests" / "nlu" / "off_topic.yml"])]
    off_topic += [t for v in VARIANTS for t, i in independent(v) if i == "out_of_scope"]  # pt-PT and es-CO too
    predicted = predict(off_topic)
    rejected = sum(p in (FALLBACK, "out_of_scope") for p in predicted)
    in_scope = [(t, i) for v in VARIANTS for t, i in independent(v) if i != "out_of_scope"]
    wrongly = sum(p in (FALLBACK, "out_of_scope") for p in predict([t for t, _ in in_scope]))
    report["off-topic"] = {
        "n": len(off_topic),
        "rejected": round(100 * rejected / len(off_topic), 2),
        "in_scope_n": len(in_scope),
        "in_scope_rejected": round(100 * wrongly / len(in_scope), 2),
    }
    return report


def sweep(model: "RasaModel") -> None:
    """What each fallback threshold would give, from one pass of the model's own rankings."""
    in_scope = [(t, i) for v in VARIANTS for t, i in held_out(v)]
    ranked = model.ranked([t for t, _ in in_scope])
    off = model.ranked([t for t, _ in read_examples([ROOT / "tests" / "nlu" / "off_topic.yml"])])
    top1 = sum(r[0] == g for r, (_, g) in zip(ranked, in_scope)) / len(in_scope)
    print(f"top-1 without fallback: {100 * top1:.2f}%")
    for threshold in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6):
        correct = sum(r[0] == g and r[1] >= threshold for r, (_, g) in zip(ranked, in_scope)) / len(in_scope)
        rejected = sum(r[1] < threshold or r[0] == "out_of_scope" for r in off) / len(off)
        wrongly = sum((r[1] < threshold or r[0] == "out_of_scope") and g != "out_of_scope" for r, (_, g) in zip(ranked, in_scope))
        print(f"threshold {threshold:.2f}: accuracy {100 * correct:.2f}%  off-topic rejected {100 * rejected:.2f}%  "
              f"in-scope rejected {100 * wrongly / len(in_scope):.2f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "assistant.tar.gz"))
    parser.add_argument("--json")
    parser.add_argument("--errors", action="store_true", help="list the misclassified held-out messages")
    parser.add_argument("--sweep", action="store_true", help="accuracy and off-topic rejection per fallback threshold")
    args = parser.parse_args()
    model = RasaModel(Path(args.model))
    if args.sweep:
        sweep(model)
        return 0
    report = evaluate(model.predict)
    for name, row in report.items():
        print(f"{name:22s} " + "  ".join(f"{k}={v}" for k, v in row.items()))
    if args.errors:
        for variant in VARIANTS:
            data = held_out(variant)
            for (text, gold), pred in zip(data, model.predict([t for t, _ in data])):
                if pred != gold:
                    print(f"{variant}\t{gold}\t->\t{pred}\t{text}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
