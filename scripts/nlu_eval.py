"""Held-out NLU figures of the trained model: the independent set and the older held-out files.

    .venv/bin/python scripts/nlu_eval.py [--model models/assistant.tar.gz] [--errors]

`tests/nlu/independent/<variant>.yml` was written from the seeds and customer situations only, by writers
who never saw the training data or the intent catalogue; `tests/nlu/<variant>/` was written with the
training data. Accuracy counts a fallback (the clarifying question) as an error. Off-topic: the share of
off-topic messages rejected (fallback or out_of_scope), and of in-scope messages wrongly rejected.
"""
import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("LOG_LEVEL", "WARNING")  # Rasa's per-message debug lines would bury the table

import yaml
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
VARIANTS = ("pt-BR", "pt-PT", "es")
REJECTED = ("nlu_fallback", "out_of_scope")


def read(paths):
    found = []
    for path in paths:
        for block in yaml.safe_load(Path(path).read_text())["nlu"]:
            found += [(line.strip()[2:], block["intent"]) for line in block["examples"].splitlines()
                      if line.strip().startswith("- ")]
    return found


def sets():
    for variant in VARIANTS:
        yield "independent", variant, read([ROOT / "tests" / "nlu" / "independent" / f"{variant}.yml"])
    for variant in VARIANTS:
        yield "held-out (team)", variant, read(sorted((ROOT / "tests" / "nlu" / variant).glob("*.yml")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "assistant.tar.gz"))
    parser.add_argument("--errors", action="store_true", help="list the misread messages")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(args.model)
    loop = asyncio.new_event_loop()

    def predict(texts):
        async def run():
            return [(await agent.parse_message(t))["intent"]["name"] for t in texts]
        return loop.run_until_complete(run())

    rows, figures = [], {}
    in_scope_rejected, in_scope = 0, 0
    for name, variant, data in sets():
        gold = [intent for _, intent in data]
        predicted = predict([text for text, _ in data])
        accuracy = 100 * sum(p == g for p, g in zip(predicted, gold)) / len(gold)
        f1 = 100 * f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
        fallback = 100 * sum(p == "nlu_fallback" for p in predicted) / len(gold)
        rows.append((name, variant, len(gold), accuracy, f1, fallback))
        figures[f"{name} {variant}"] = {"n": len(gold), "accuracy": round(accuracy, 2), "macro_f1": round(f1, 2),
                                        "fallback": round(fallback, 2)}
        if name == "independent":
            scoped = [(p, g) for p, g in zip(predicted, gold) if g != "out_of_scope"]
            in_scope += len(scoped)
            in_scope_rejected += sum(p in REJECTED for p, _ in scoped)
        if args.errors:
            for (text, g), p in zip(data, predicted):
                if p != g:
                    print(f"  {name} {variant}: {g} -> {p}: {text}")
    off = [t for t, _ in read([ROOT / "tests" / "nlu" / "off_topic.yml"])]
    off += [t for v in VARIANTS for t, i in read([ROOT / "tests" / "nlu" / "independent" / f"{v}.yml"]) if i == "out_of_scope"]
    rejected = 100 * sum(p in REJECTED for p in predict(off)) / len(off)
    print("| set | variant | messages | accuracy (fallback = error) | macro-F1 | fallback |\n|---|---|---|---|---|---|")
    for name, variant, n, accuracy, f1, fallback in rows:
        print(f"| {name} | {variant} | {n} | {accuracy:.1f}% | {f1:.1f}% | {fallback:.1f}% |")
    print(f"\noff-topic rejected: {rejected:.1f}% of {len(off)}; in-scope wrongly rejected: "
          f"{100 * in_scope_rejected / in_scope:.2f}% of {in_scope} (independent set)")
    figures["off_topic"] = {"n": len(off), "rejected": round(rejected, 2),
                            "in_scope_rejected": round(100 * in_scope_rejected / in_scope, 2)}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
