"""A missing, damaged or short pseudonymisation key is a clear error, in the reader's language."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairshare.errors import StoreError
from fairshare.exchange.pseudonym import ensure_key, key_path, load_key


def test_a_good_key_loads(tmp_path: Path) -> None:
    ensure_key(tmp_path, "A1")
    assert len(load_key(tmp_path, "A1")) == 32


@pytest.mark.parametrize(("content", "english", "french"), [
    (None, "The pseudonymisation key of agreement 'A1' is missing",
     "La clé de pseudonymisation de l'entente « A1 » est introuvable"),
    ("not hex at all\n", "is unreadable or damaged; restore it from your key backup.",
     "est illisible ou endommagé ; restaurez-le à partir de votre sauvegarde des clés."),
    ("abcd\n", "is too short; restore it from your key backup.",
     "est trop court ; restaurez-le à partir de votre sauvegarde des clés."),
])
def test_bad_keys_are_explained(tmp_path: Path, content: str | None, english: str,
                                french: str) -> None:
    if content is not None:
        key_path(tmp_path, "A1").write_text(content, encoding="ascii")
    with pytest.raises(StoreError) as info:
        load_key(tmp_path, "A1")
    assert english in str(info.value) and str(key_path(tmp_path, "A1")) in str(info.value)
    assert french in info.value.text("fr")
