"""``python -m bench.hotspots FILE.folded [N]``: where a py-spy profile spends its samples.

Prints the N frames with the most samples on the stack (inclusive) and at its top (self time).
"""

from __future__ import annotations

import sys
from collections import Counter


def _short(frame: str) -> str:
    """``func (/long/path/file.py:12)`` → ``func (file.py:12)``."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1]}"


def main(path: str, top: int = 25) -> None:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(path) as folded:
        lines = folded.read().splitlines()
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].split("/")[-1] for f in stack.split(";")
        ]
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    for title, counter in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title} (of {total} samples)")
        for frame, n in counter.most_common(top):
            print(f"{100 * n / total:6.1f}%  {frame}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
