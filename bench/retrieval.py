"""Answers found by meaning (company-file examples): what retrieval adds, measured on independent data.

    .venv/bin/python bench/retrieval.py [--model models/assistant.tar.gz] [--json out.json]

For every company and every independent held-out message whose intent the company answers, the NLU
route is taken as the assistant takes it; where that route fails (fallback, or an intent the company
does not answer), retrieval may answer. Counted per threshold: how often it then gives the right
answer, a wrong one, or none; and how often it answers an off-topic message.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nlu_quality  # noqa: E402  (bench/, beside this file)
from actions.core.registry import Registry  # noqa: E402
from actions.core.retrieval import AnswerIndex  # noqa: E402
from nlu_quality import VARIANTS, independent, read_examples  # noqa: E402
from policies.sentence_encoder import Encoder  # noqa: E402

THRESHOLDS = (0.84, 0.86, 0.88, 0.9, 0.92)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "assistant.tar.gz"))
    parser.add_argument("--json")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    predict = nlu_quality.RasaModel(Path(args.model)).predict

    messages = [m for v in VARIANTS for m in independent(v)]
    off = [t for t, _ in read_examples([ROOT / "tests" / "nlu" / "off_topic.yml"])] + [t for t, i in messages if i == "out_of_scope"]
    in_scope = [(t, i) for t, i in messages if i != "out_of_scope"]
    predicted = dict(zip([t for t, _ in in_scope] + off, predict([t for t, _ in in_scope] + off)))
    registry = Registry(ROOT / "companies", ROOT / "locales" / "messages.yml")
    index = AnswerIndex(Encoder.shared(threads=2).embed, background=False)
    report = {}
    for threshold in THRESHOLDS:
        route_failed = fixed = wrong = 0
        off_answered = off_tried = 0
        for company in registry.companies():
            for text, gold in in_scope:
                if gold not in company.answers:
                    continue
                intent = predicted[text]
                if intent != "nlu_fallback" and intent in company.answers:
                    continue  # the intent route answers (right or wrong); retrieval is not asked
                route_failed += 1
                match = index.find(company, text, threshold)
                if match is not None:
                    fixed += match.intent == gold
                    wrong += match.intent != gold
            for text in off:
                intent = predicted[text]
                if intent == "nlu_fallback" or (intent not in company.answers and intent != "out_of_scope"):
                    off_tried += 1
                    off_answered += index.find(company, text, threshold) is not None
        report[threshold] = {"route_failed": route_failed, "right": fixed, "wrong": wrong,
                             "off_topic_tried": off_tried, "off_topic_answered": off_answered}
        print(f"threshold {threshold:.2f}: of {route_failed} questions the intent route could not answer, "
              f"retrieval answered {fixed} right and {wrong} wrong; off-topic answered {off_answered} of {off_tried}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
