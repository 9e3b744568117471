"""`python -m actions.core.check`: validate every company file and the message catalogue."""
import sys
from pathlib import Path

from .registry import check_all
from .settings import Settings


def main() -> int:
    settings = Settings.from_env()
    errors = check_all(settings.companies_dir, settings.messages_path)
    for error in errors:
        print(error, file=sys.stderr)
    files = len(list(Path(settings.companies_dir).glob("*.yml"))) + 1
    if errors:
        print(f"{len(errors)} of {files} data files have problems", file=sys.stderr)
        return 1
    print(f"{files} data files valid ({settings.companies_dir}, {settings.messages_path})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
