"""Free-form answer texts: the shipped file renders in every language; broken files are named."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from broadcaster.config import Settings
from broadcaster.errors import InputError
from broadcaster.localization import format_local
from broadcaster.replies import ReplyKind, consent_context, load_replies
from broadcaster.services.template_check import SAMPLE_START, sample_context
from tests.conftest import REPO

SHIPPED = REPO / Settings().paths.replies


def test_the_shipped_answers_render_in_every_language_with_the_status_in_words():
    book, problems = load_replies(SHIPPED, "id")
    assert problems == []
    assert book.languages == ["en", "id"]
    assert book.check(lambda language: sample_context(language, "NusaNet")) == []
    eta = SAMPLE_START + timedelta(hours=3)
    english = book.render(ReplyKind.STATUS, "en", sample_context("en", "NusaNet"))
    assert "Status: we are investigating." in english
    assert f"Expected restoration: {format_local(eta, 'Asia/Jakarta', 'en')}." in english
    indonesian = book.render(ReplyKind.STATUS, "id", sample_context("id", "NusaNet"))
    assert "Status: sedang kami periksa." in indonesian
    assert f"Perkiraan layanan pulih: {format_local(eta, 'Asia/Jakarta', 'id')}." in indonesian
    assert "Sel 24 Nov" in indonesian, "Indonesian weekday names"


def test_languages_fall_back_to_their_base_then_the_default():
    book, _ = load_replies(SHIPPED, "id")
    context = consent_context(sample_context("en", "NusaNet"))
    assert book.render(ReplyKind.OPT_OUT, "en-GB", context).startswith("Done:")
    assert book.render(ReplyKind.OPT_IN, "pt-BR", context).startswith("Terima kasih")


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "replies.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_of_a_broken_file_is_named(tmp_path: Path):
    path = write(
        tmp_path,
        """
        fr = "not a table"
        [en]
        status = "{{ broken"
        opt_out = ""
        colour = "red"
        statuses = { investigating = 1 }
        """,
    )
    book, problems = load_replies(path, "id")
    assert book.languages == []
    text = "\n".join(problems)
    assert f"{path}: fr: expected a table" in text
    assert "en.status:" in text
    assert "en.opt_out: required, a non-empty string" in text
    assert "en.opt_in: required, a non-empty string" in text
    assert "en.colour: unknown key" in text
    assert "en.statuses: expected a table of strings" in text
    assert "no texts in the default language 'id'" in text


def test_missing_or_invalid_files_and_undefined_names_are_refused(tmp_path: Path):
    assert load_replies(tmp_path / "none.toml", "id")[1] == [
        f"{tmp_path / 'none.toml'}: replies file not found"
    ]
    assert "not valid TOML" in load_replies(write(tmp_path, "[id"), "id")[1][0]
    rest = "".join(
        f'{kind} = "z"\n' for kind in ReplyKind if kind.value not in ("status", "opt_out", "opt_in")
    )
    typo = write(tmp_path, '[id]\nstatus = "{{ etaa }}"\nopt_out = "x"\nopt_in = "y"\n' + rest)
    book, problems = load_replies(typo, "id")
    assert problems == []
    assert book.check(lambda language: sample_context(language, "NusaNet")) == [
        "replies: id.status: 'etaa' is undefined"
    ]
    with pytest.raises(InputError, match="no 'en' and no 'xx' texts"):
        load_replies(typo, "xx")[0].render(ReplyKind.OPT_IN, "en", {})
