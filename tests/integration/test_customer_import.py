"""``broadcaster customers import`` against a real Redis: good rows land, bad rows are listed,
files that are not customer files are refused whole with nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from broadcaster.adapters.audience import Audiences
from broadcaster.adapters.directory import Directory
from broadcaster.adapters.keys import Keys
from broadcaster.config import Settings
from broadcaster.domain.customers import Customer
from broadcaster.domain.segments import Equals
from broadcaster.services.customer_import import import_customers
from tests.integration.conftest import write

HEADER = "customer_id,phone,opt_in,name,language,timezone,tier,region,service\n"
GOOD = (
    HEADER
    + "C1,081234567801,true,Siti,id,Asia/Jakarta,gold,jkt-selatan,fiber\n"
    + "C2,+62 812-3456-7802,yes,Budi,en,,platinum,bandung,fiber\n"
    + "C3,6281234567803,false,Dewi,,,,jkt-selatan,mobile\n"
)


def rejects(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_a_clean_file_imports_every_row_normalised(cli, tmp_path, redis_client, capsys):
    path = write(tmp_path, "customers.csv", GOOD)
    assert await cli("customers", "import", str(path)) == 0
    out = capsys.readouterr().out
    assert "imported              3" in out
    directory = Directory(redis_client, Keys())
    assert await directory.get("C2") == Customer(
        "C2",
        "+6281234567802",
        True,
        "Budi",
        "en",
        "Asia/Jakarta",
        "platinum",
        {"region": "bandung", "service": "fiber"},
    )
    third = await directory.get("C3")
    assert third is not None
    assert (third.opt_in, third.tier, third.language) == (False, "standard", "id")
    assert rejects(tmp_path / "customers.csv.rejects.csv") == []


async def test_bad_rows_are_listed_with_line_and_reason_and_good_rows_still_import(
    cli, tmp_path, redis_client, capsys
):
    path = write(
        tmp_path,
        "customers.csv",
        HEADER
        + "C1,081234567801,true,Siti,id,,gold,jkt-selatan,fiber\n"
        + "C2,12345,true,Budi,id,,gold,bdg,fiber\n"
        + "C3,081234567803,perhaps,Dewi,id,,gold,bdg,fiber\n"
        + "C4,081234567804,true,Agus,id,,diamond,bdg,fiber\n"
        + "C5,081234567805,true,Rina,klingon-x,,gold,bdg,fiber\n"
        + "C6,081234567806,true,Joko,id,Asia/Bandung,gold,bdg,fiber\n"
        + "C7,081234567807,true\n"
        + ",081234567808,true,Made,id,,gold,bdg,fiber\n"
        + "\n"
        + "C9,081234567809,true,Putu,id,,gold,bdg,fiber\n",
    )
    report_path = tmp_path / "out" / "rejected.csv"
    report_path.parent.mkdir()
    assert await cli("customers", "import", str(path), "--rejects", str(report_path), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["imported"], summary["rejected"], summary["rows"]) == (2, 7, 9)
    listed = {r["line"]: (r["customer_id"], r["reason"]) for r in rejects(report_path)}
    assert listed["3"] == ("C2", listed["3"][1])
    assert "phone: '12345' is not a valid number" in listed["3"][1]
    assert "opt_in: expected true or false, got 'perhaps'" in listed["4"][1]
    assert "tier: 'diamond' is not a configured tier" in listed["5"][1]
    assert "language: 'klingon-x'" in listed["6"][1]
    assert "timezone: 'Asia/Bandung' is not an IANA time zone" in listed["7"][1]
    assert listed["8"] == ("C7", "expected 9 fields, got 3")
    assert listed["9"][1] == "customer_id: required"
    directory = Directory(redis_client, Keys())
    assert await directory.count() == 2
    assert await directory.get("C9") is not None


async def test_duplicate_ids_the_last_row_wins_and_the_lines_are_reported(
    cli, tmp_path, redis_client, capsys
):
    rows = [f"C{i},0812345678{i:02d},true,N{i},id,,gold,r{i},fiber\n" for i in range(6)]
    rows.append("C1,081234567899,true,Later,id,,silver,r9,mobile\n")
    rows.append("C4,081234567804,true,N4,id,,gold,r4,fiber\n")
    path = write(tmp_path, "dups.csv", HEADER + "".join(rows))
    assert (
        await cli("customers", "import", str(path), "--json", customers={"import_batch_size": 3})
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["duplicates"] == 2
    assert summary["duplicate_lines"] == [8, 9]
    assert summary["imported"] == 6
    latest = await Directory(redis_client, Keys()).get("C1")
    assert latest is not None
    assert (latest.name, latest.tier, latest.phone) == ("Later", "silver", "+6281234567899")
    assert await Directory(redis_client, Keys()).find_by_phone("+6281234567801") is None


async def test_reimport_moves_customers_between_index_entries(
    tmp_path, redis_client, settings: Settings
):
    keys = Keys()
    audiences = Audiences(redis_client, keys, settings.tiers.order)
    first = write(tmp_path, "v1.csv", GOOD)
    report = await import_customers(redis_client, keys, settings, first)
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    second = write(
        tmp_path,
        "v2.csv",
        GOOD.replace(
            "Siti,id,Asia/Jakarta,gold,jkt-selatan", "Siti,id,Asia/Jakarta,silver,bandung"
        ),
    )
    report = await import_customers(redis_client, keys, settings, second)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    south = await audiences.resolve(Equals("region", ("jkt-selatan",)))
    assert south.affected == 1  # C3 only: C1 left without a stale bit
    bandung = await audiences.resolve(Equals("region", ("bandung",)))
    assert bandung.by_tier == {"platinum": 1, "gold": 0, "silver": 1, "standard": 0}
    gold = await audiences.resolve(Equals("tier", ("gold",)))
    assert gold.affected == 0


async def test_json_lines_with_attributes_and_bad_lines(cli, tmp_path, redis_client, capsys):
    lines = [
        {
            "customer_id": "J1",
            "phone": "+6281234567801",
            "opt_in": True,
            "attributes": {"region": "bandung", "service": "fiber"},
        },
        "{broken json",
        {"customer_id": "J2", "phone": "081234567802", "opt_in": "false", "regoin": "x"},
        {
            "customer_id": "J3",
            "phone": 6281234567803,
            "opt_in": 1,
            "language": "en",
            "tier": "Gold",
            "attributes": {"region": "bandung"},
        },
    ]
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path = write(tmp_path, "customers.ndjson", text + "\n\n")
    assert await cli("customers", "import", str(path), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["format"], summary["imported"], summary["rejected"]) == ("jsonl", 2, 2)
    listed = {r["line"]: r for r in rejects(tmp_path / "customers.ndjson.rejects.csv")}
    assert listed["2"]["reason"].startswith("not valid JSON")
    assert listed["3"]["customer_id"] == "J2"
    assert "regoin: unknown key" in listed["3"]["reason"]
    j3 = await Directory(redis_client, Keys()).get("J3")
    assert j3 is not None
    assert (j3.phone, j3.tier, j3.attributes) == ("+6281234567803", "gold", {"region": "bandung"})


async def test_a_crm_export_with_bom_semicolons_crlf_and_loose_headers(
    tmp_path, redis_client, settings
):
    text = (
        "\ufeffCustomer ID;Phone;Opt-In;Region Code;;\r\n"
        "K1;0812 3456 7801;Y;JKT-01;;\r\n"
        'K2;"+62 812 3456 7802";N;"BDG;02"\r\n'
        "K3;0812 3456 7803;Y;JKT-01;;surprise\r\n"
    )
    path = write(tmp_path, "export.txt", text)
    report = await import_customers(redis_client, Keys(), settings, path)
    assert (report.created, report.rejected) == (2, 1)
    k2 = await Directory(redis_client, Keys()).get("K2")
    assert k2 is not None
    assert (k2.opt_in, k2.attributes) == (False, {"region_code": "BDG;02"})


REFUSED = [
    ("no-header.csv", "C1,081234567801,true\n", "missing required columns"),
    ("short.csv", "customer_id,phone\nC1,0812\n", "missing required columns opt_in"),
    ("twice.csv", "customer_id,phone,opt_in,region,Region\n", "'region' appears twice"),
    ("bad-name.csv", "customer_id,phone,opt_in,Region!\n", "'region!': attribute names"),
    ("reserved.csv", "customer_id,phone,opt_in,not\n", "'not' is reserved"),
    ("unnamed.csv", "customer_id,phone,opt_in,,x\n", "column 4: no name"),
    ("empty.csv", "", "empty file"),
    ("blank.csv", "\n \r\n\t\n", "empty file"),
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "NUL byte"),
    (
        "latin1.csv",
        (GOOD + "C4,081234567804,true,Jos\xe9,id,,gold,bdg,fiber\n").encode("latin-1"),
        "line 5: byte 0xe9 is not UTF-8",
    ),
    ("utf16.csv", GOOD.encode("utf-16"), "UTF-16/32 text"),
    ("utf16le.csv", GOOD.encode("utf-16-le"), "NUL byte"),
    ("array.json", json.dumps([{"customer_id": "C1"}]), "a JSON array"),
    ("text.jsonl", "customer_id,phone,opt_in\n", "not JSON Lines"),
    ("other.jsonl", '{"id": 1, "email": "a@b"}\n', "not a customer record"),
    ("missing.csv", None, "cannot read"),
]


@pytest.mark.parametrize(("name", "content", "reason"), REFUSED)
async def test_a_file_that_is_not_a_customer_file_is_refused_whole(
    cli, tmp_path, redis_client, capsys, name, content, reason
):
    await Directory(redis_client, Keys()).upsert(
        [Customer("OLD", "+6281234567890", True, language="id", tier="gold")]
    )
    before = {k: await redis_client.dump(k) for k in await redis_client.keys("*")}
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    assert await cli("customers", "import", str(path)) == 2
    assert reason in capsys.readouterr().err
    after = {k: await redis_client.dump(k) for k in await redis_client.keys("*")}
    assert after == before, "a refused file writes nothing"
    assert not (tmp_path / f"{name}.rejects.csv").exists()


async def test_too_many_values_for_an_index_refuses_the_file_before_writing(
    cli, tmp_path, redis_client, capsys
):
    rows = [f"C{i},0812345678{i:02d},true,,,,,r{i},fiber\n" for i in range(8)]
    path = write(tmp_path, "wide.csv", HEADER + "".join(rows))
    assert (
        await cli("customers", "import", str(path), customers={"max_values_per_attribute": 5}) == 2
    )
    err = capsys.readouterr().err
    assert "column 'region': more than 5 distinct values" in err
    assert await redis_client.keys("*") == []
    # the same column, stored unindexed, is fine
    assert (
        await cli(
            "customers",
            "import",
            str(path),
            customers={"max_values_per_attribute": 5, "indexed_attributes": ["service"]},
        )
        == 0
    )
    directory = Directory(redis_client, Keys())
    assert await directory.values("region") == []
    stored = await directory.get("C7")
    assert stored is not None
    assert stored.attributes == {"region": "r7", "service": "fiber"}


async def test_existing_values_count_toward_the_limit(cli, tmp_path, redis_client, capsys):
    first = [f"C{i},0812345678{i:02d},true,,,,,r{i},fiber\n" for i in range(4)]
    assert (
        await cli(
            "customers",
            "import",
            str(write(tmp_path, "a.csv", HEADER + "".join(first))),
            customers={"max_values_per_attribute": 5},
        )
        == 0
    )
    again = [f"D{i},0812345679{i:02d},true,,,,,r{i},fiber\n" for i in range(3, 5)]
    path = write(tmp_path, "b.csv", HEADER + "".join(again))
    assert (
        await cli("customers", "import", str(path), customers={"max_values_per_attribute": 5}) == 0
    )
    more = write(tmp_path, "c.csv", HEADER + "E1,081234567999,true,,,,,r9,fiber\n")
    assert (
        await cli("customers", "import", str(more), customers={"max_values_per_attribute": 5}) == 2
    )
    assert "more than 5 distinct values" in capsys.readouterr().err


async def test_an_unwritable_rejects_file_is_bad_usage_and_writes_nothing(
    cli, tmp_path, redis_client, capsys
):
    path = write(tmp_path, "customers.csv", GOOD)
    assert (
        await cli("customers", "import", str(path), "--rejects", str(tmp_path / "no" / "r.csv"))
        == 2
    )
    assert "cannot write the rejects file" in capsys.readouterr().err
    assert await redis_client.keys("*") == []


async def test_redis_failure_is_exit_1(cli, tmp_path, capsys):
    path = write(tmp_path, "customers.csv", GOOD)
    assert await cli("customers", "import", str(path), redis={"url": "redis://127.0.0.1:9/0"}) == 1
    assert "Redis at 127.0.0.1:9 failed" in capsys.readouterr().err


async def test_erase_from_the_command_line(cli, tmp_path, redis_client, capsys):
    assert await cli("customers", "import", str(write(tmp_path, "c.csv", GOOD))) == 0
    capsys.readouterr()
    assert await cli("customers", "erase", "C1", "C404") == 0
    assert capsys.readouterr().out.splitlines() == ["C1: erased", "C404: not found"]
    assert await Directory(redis_client, Keys()).get("C1") is None


async def test_a_header_without_rows_is_a_customer_file_with_nothing_in_it(
    cli, tmp_path, redis_client, capsys
):
    path = write(tmp_path, "none.csv", HEADER)
    assert await cli("customers", "import", str(path), "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (0, 0, 0)
    assert await redis_client.keys("ob:c:*") == []


async def test_leading_blank_lines_and_a_file_named_without_extension(
    cli, tmp_path, redis_client, capsys
):
    assert await cli("customers", "import", str(write(tmp_path, "crm.csv", "\n\n" + GOOD))) == 0
    record = {"customer_id": "J1", "phone": "+6281234567801", "opt_in": True}
    assert await cli("customers", "import", str(write(tmp_path, "export", json.dumps(record)))) == 0
    assert await Directory(redis_client, Keys()).count() == 4


async def test_a_line_longer_than_16_mib_is_refused(cli, tmp_path, redis_client, capsys):
    path = write(tmp_path, "huge.csv", HEADER + "C1," + "9" * (17 << 20))
    assert await cli("customers", "import", str(path)) == 2
    assert "longer than 16777216 bytes" in capsys.readouterr().err
    assert await redis_client.keys("*") == []
