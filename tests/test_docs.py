"""The README documents every setting and every command, and shows the two commands."""

from __future__ import annotations

import re

from tests.cli_tree import command_paths
from tests.conftest import REPO_ROOT

from signalseq.settings import Settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    documented = set(re.findall(r"^\| `(SIGNALSEQ_[A-Z_]+)` \|", README, re.MULTILINE))
    expected = {f"SIGNALSEQ_{name.upper()}" for name in Settings.model_fields}
    assert expected - documented == set(), "settings missing from the README"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_every_command_is_in_the_readme():
    missing = [
        " ".join(path) for path in command_paths() if f"`signalseq {' '.join(path)}" not in README
    ]
    assert missing == []


def test_readme_gives_the_two_setup_commands():
    assert "make demo" in README and "make test" in README
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in ("demo", "test", "bench", "lint"):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
