"""``broadcaster segments check|list`` and ``broadcaster audience``; every shipped segment."""

from __future__ import annotations

import csv
import json

from broadcaster.adapters.segment_files import load_segments
from broadcaster.domain.segments import attributes_of
from tests.conftest import REPO
from tests.integration.conftest import write

SAMPLE = REPO / "examples" / "customers.csv"


def test_every_shipped_segment_is_valid_and_names_attributes_the_sample_customers_have():
    segments, problems = load_segments(REPO / "segments")
    assert problems == []
    assert segments
    with SAMPLE.open(encoding="utf-8") as handle:
        columns = set(next(csv.reader(handle)))
    for segment in segments.values():
        used = attributes_of(segment.rule) | set(segment.from_labels.values())
        assert used <= columns | {"tier", "language"}, segment.name


async def test_segments_check_names_the_file_and_key_of_a_typo(cli, tmp_path, capsys):
    for source in (REPO / "segments").glob("*.toml"):
        (tmp_path / source.name).write_text(source.read_text())
    assert await cli("segments", "check", "--dir", str(tmp_path)) == 0
    assert "3 segments OK" in capsys.readouterr().out
    (tmp_path / "fiber.toml").write_text(
        (REPO / "segments" / "fiber.toml").read_text().replace("[match]", "[mach]")
    )
    (tmp_path / "mobile-data.toml").write_text(
        (REPO / "segments" / "mobile-data.toml")
        .read_text()
        .replace("service =", "service= {prefx=")
        .replace('"mobile"', '"mobile"}')
    )
    assert await cli("segments", "check", "--dir", str(tmp_path)) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'fiber.toml'}: mach: unknown key (did you mean 'match'?)" in err
    assert (
        f"{tmp_path / 'mobile-data.toml'}: match.service.prefx: unknown operator "
        "(did you mean 'prefix'?)" in err
    )


async def test_segments_check_knows_the_indexed_attributes_when_configured(cli, tmp_path, capsys):
    write(tmp_path, "x.toml", 'name = "x"\n[match]\nsevice = "fiber"\n')
    indexed = {"indexed_attributes": ["service", "region"]}
    assert await cli("segments", "check", "--dir", str(tmp_path), customers=indexed) == 2
    assert "match.sevice: unknown attribute (did you mean 'service'?)" in capsys.readouterr().err


async def test_segments_list(cli, capsys):
    assert await cli("segments", "list", "--json") == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["jkt-selatan-fiber"]["rule"] == "region = jkt-selatan and service = fiber"
    assert await cli("segments", "list") == 0
    assert "fiber" in capsys.readouterr().out


async def test_audience_of_a_segment_with_alert_labels(cli, tmp_path, capsys):
    assert await cli("customers", "import", str(SAMPLE), "--rejects", str(tmp_path / "r.csv")) == 0
    capsys.readouterr()
    args = ("audience", "--segment", "fiber", "--label", "region=bandung", "--sample", "3")
    assert await cli(*args, "--json") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["rule"] == "service = fiber and region = bandung"
    with SAMPLE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    in_scope = [r for r in rows if r["service"] == "fiber" and r["region"] == "bandung"]
    assert body["affected"] == len(in_scope)
    assert len(body["sample"]) == min(3, body["notified"])
    assert all("****" in c["phone"] for c in body["sample"])
    assert await cli(*args) == 0
    out = capsys.readouterr().out
    assert "eligible" in out
    assert "by tier:" in out


async def test_audience_of_an_unknown_segment_or_incident_is_bad_input(cli, capsys):
    assert await cli("audience", "--segment", "nope") == 2
    assert "no segment 'nope'" in capsys.readouterr().err
    assert await cli("audience", "--incident", "INC-404") == 2


def test_segment_files_that_clash_or_do_not_parse_are_named(tmp_path):
    assert load_segments(tmp_path / "nowhere") == (
        {},
        [f"{tmp_path / 'nowhere'}: segments directory not found"],
    )
    write(tmp_path, "a.toml", 'name = "a"\n')
    write(tmp_path, "b.toml", 'name = "a"\n')
    write(tmp_path, "c.toml", 'name = "see"\n')
    write(tmp_path, "d.toml", "name = \n")
    write(tmp_path, "e.toml", b"name = '\xff'\n")
    segments, problems = load_segments(tmp_path)
    assert list(segments) == ["a"]
    assert problems[0] == f"{tmp_path / 'b.toml'}: name: 'a' is also defined in another file"
    assert problems[1] == f"{tmp_path / 'c.toml'}: name: 'see' differs from the file name"
    assert problems[2].startswith(f"{tmp_path / 'd.toml'}: not valid TOML")
    assert problems[3].startswith(f"{tmp_path / 'e.toml'}: not valid TOML")
