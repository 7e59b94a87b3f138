"""Write the demo store's exports into data/sample (or a folder given as the first argument).

Usage: python scripts/make_demo_data.py [target_dir] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ro_core.demo import DEFAULT_SEED, SAMPLE_DIR, generate_demo_files  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target_dir", nargs="?", type=Path, default=SAMPLE_DIR)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    started = time.monotonic()
    paths = generate_demo_files(args.target_dir, seed=args.seed)
    for path in paths:
        print(f"{path}  {path.stat().st_size / 1e6:.2f} MB")
    print(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
