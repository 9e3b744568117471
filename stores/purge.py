"""`make purge DAYS=N` (`python -m stores.purge --days N`): deletes the conversations idle for more than N
days from the tracker store the environment configures (stores/database.py: SQLite var/tracker.db by
default, PostgreSQL with POSTGRES_HOST set), and says how many. A running server can do the same by itself
every hour with TRACKER_RETENTION_DAYS=N (stores/masking.py)."""
from __future__ import annotations

import argparse
import sys

from .database import database_url, engine_for, purge


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make purge", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, required=True, help="delete conversations idle for more than this")
    parser.add_argument("--url", help="an SQLAlchemy database URL (default: from the environment)")
    args = parser.parse_args(argv)
    if args.days < 0:
        parser.error("--days must be 0 or more")
    url = args.url or database_url()
    try:
        engine = engine_for(url)
        with engine.begin() as connection:
            conversations, events = purge(connection, args.days)
    except Exception as error:  # noqa: BLE001 (one clear line, no traceback)
        print(f"purge failed on {str(url).split('@')[-1]}: {type(error).__name__}: {error}",
              file=sys.stderr)
        return 1
    where = str(url).split("@")[-1]  # never the password
    print(f"deleted {conversations} conversation(s), {events} event(s), idle for more than {args.days:g} days ({where})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
