"""Fails unless `rasa test core` evaluated every step of the conversation tests (not zero of zero)."""
import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
steps = sum(
    len(story["steps"])
    for path in sorted((ROOT / "tests" / "conversations").glob("test_*.yml"))
    for story in yaml.safe_load(path.read_text())["stories"]
)
report = json.loads((ROOT / "results" / "conversations" / "story_report.json").read_text())
evaluated = int(report.get("weighted avg", {}).get("support", 0))
print(f"conversation tests: {evaluated} predictions evaluated for {steps} story steps, accuracy {report.get('accuracy')}")
if steps == 0 or evaluated < steps:
    sys.exit("conversation tests evaluated fewer predictions than the stories hold")
