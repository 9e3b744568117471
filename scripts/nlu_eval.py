"""Held-out NLU figures of the trained model: the independent set and the older held-out files.

    .venv/bin/python scripts/nlu_eval.py [--model models/assistant.tar.gz] [--errors] [--json out.json]

`tests/nlu/independent/<variant>.yml` was written from the seeds and customer situations only, by writers
who never saw the training data or the intent catalogue; `tests/nlu/<variant>/` was written with the
training data. Accuracy counts a fallback (the clarifying question) as an error. Off-topic: the share of
off-topic messages rejected (fallback or out_of_scope), and of in-scope messages wrongly rejected. The
sets, the scores and the model loading are bench/nlu_quality.py's, which `make bench` also uses.
"""
import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import nlu_quality  # noqa: E402
from nlu_quality import FALLBACK, VARIANTS, held_out, independent, read_examples, scores  # noqa: E402

REJECTED = (FALLBACK, "out_of_scope")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "assistant.tar.gz"))
    parser.add_argument("--errors", action="store_true", help="list the misread messages")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa's per-message debug lines would bury the table
    logging.disable(logging.WARNING)
    predict = nlu_quality.RasaModel(Path(args.model)).predict

    sets = [("independent", v, independent(v)) for v in VARIANTS] + [("held-out (team)", v, held_out(v)) for v in VARIANTS]
    figures, rejected_in_scope, in_scope = {}, 0, 0
    print("| set | variant | messages | accuracy (fallback = error) | macro-F1 | fallback |\n|---|---|---|---|---|---|")
    for name, variant, data in sets:
        gold = [intent for _, intent in data]
        predicted = predict([text for text, _ in data])
        row = figures[f"{name} {variant}"] = scores(gold, predicted)
        print(f"| {name} | {variant} | {row['n']} | {row['accuracy']:.1f}% | {row['macro_f1']:.1f}% | {row['fallback_rate']:.1f}% |")
        if name == "independent":
            scoped = [p for p, g in zip(predicted, gold) if g != "out_of_scope"]
            in_scope += len(scoped)
            rejected_in_scope += sum(p in REJECTED for p in scoped)
        if args.errors:
            for (text, g), p in zip(data, predicted):
                if p != g:
                    print(f"  {name} {variant}: {g} -> {p}: {text}")
    off = [t for t, _ in read_examples([ROOT / "tests" / "nlu" / "off_topic.yml"])]
    off += [t for v in VARIANTS for t, i in independent(v) if i == "out_of_scope"]
    rejected = 100 * sum(p in REJECTED for p in predict(off)) / len(off)
    print(f"\noff-topic rejected: {rejected:.1f}% of {len(off)}; in-scope wrongly rejected: "
          f"{100 * rejected_in_scope / in_scope:.2f}% of {in_scope} (independent set)")
    figures["off_topic"] = {"n": len(off), "rejected": round(rejected, 2),
                            "in_scope_rejected": round(100 * rejected_in_scope / in_scope, 2)}
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
