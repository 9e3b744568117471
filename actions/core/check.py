"""`python -m actions.core.check` (`make check`): validate every company file and the message catalogue.

Reports every problem of every file (the file, the field, the reason), never a traceback, and exits
non-zero if there is any.
"""
import sys
from pathlib import Path

from .registry import DOMAIN, check_all
from .settings import Settings


def main() -> int:
    try:
        settings = Settings.from_env()
        errors = check_all(settings.companies_dir, settings.messages_path)
        files = len(list(Path(settings.companies_dir).glob("*.yml"))) + 2  # with the catalogue and the domain
    except Exception as error:  # noqa: BLE001 (a check that cannot run says why, in one line)
        print(f"make check could not run: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        problems = sum(len(e.problems) for e in errors)
        print(f"{problems} problem(s) in {len(errors)} of {files} data files", file=sys.stderr)
        return 1
    print(f"{files} data files valid ({settings.companies_dir}, {settings.messages_path}, {DOMAIN.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
