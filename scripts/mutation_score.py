"""Print the mutation score of the last `make mutate` (mutmut's mutants/mutmut-cicd-stats.json) and the
mutants that were not killed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STATS = Path("mutants/mutmut-cicd-stats.json")


def main() -> int:
    if not STATS.exists():
        print("no mutation results: run `make mutate`", file=sys.stderr)
        return 1
    stats = json.loads(STATS.read_text())
    total, killed = stats["total"], stats["killed"] + stats["timeout"]
    results = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    lines = [line.strip() for line in results.splitlines() if line.strip()]
    left = [line for line in lines if not line.endswith(": timeout")]  # a timeout is a kill
    if left:
        print("not killed:", *left, sep="\n  ")
    score = 100 * killed / total if total else 0.0
    print(
        f"mutation score: {killed}/{total} killed ({score:.1f} %, {stats['timeout']} of them by a timeout); "
        f"survived {stats['survived']}, "
        f"no tests {stats['no_tests']}, suspicious {stats['suspicious']}, skipped {stats['skipped']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
