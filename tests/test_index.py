"""A workspace of many cases: the index follows the files, search, filters and pages.

Against a real ``paperwork serve``: a hand edit shows in the list and in search at the next request, a
removed folder disappears, an unreadable case is listed as unreadable, the index deleted while the
server runs is rebuilt, a case is found by one of its papers' 文号 and by part of its customer's name,
and paging returns every case exactly once. In process: filters, the list page, the ledger from the
index equal to the ledger read from the files.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from paperwork.cli import cli
from tests.conftest import ROOT
from tests.serving import in_process, running

TEMPLATE = (ROOT / "fixtures" / "in-progress" / "case.yaml").read_text(encoding="utf-8")
DB = Path(".paperwork") / "paperwork.sqlite3"
NO_OFFICE = {"PAPERWORK_SOFFICE": "/nonexistent/soffice"}


def many(ws: Path, n: int) -> list[str]:
    """``n`` cases made from the in-progress fixture, each its own id, customer, 文号 and kind."""
    ids = []
    for i in range(n):
        case_id = f"GY-2026-{500 + i}"
        text = (
            TEMPLATE.replace("GY-2026-088", case_id)
            .replace("顺鑫冷链物流有限公司", f"{'宏远华茂'[i % 4]}第{i}号冷链有限公司")
            .replace("顺供方案〔2026〕88号", f"顺供方案〔2026〕{700 + i}号")
        )
        if i % 3 == 0:
            text = text.replace("kind: 新装", "kind: 增容")
        (ws / case_id).mkdir(parents=True)
        (ws / case_id / "case.yaml").write_text(text, encoding="utf-8")
        ids.append(case_id)
    return ids


def ids_of(answer: object) -> list[str]:
    assert isinstance(answer, list)
    return [str(row["case_id"]) for row in answer]


def test_the_index_follows_the_files_on_a_real_server(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ids = many(ws, 23)
    with running(ws, "--no-cache", "--today", "2026-12-01", env=NO_OFFICE) as srv, srv.client() as api:
        assert "正在建立案卷索引：23/23" in srv.log.read_text(encoding="utf-8")
        everything = api.get("/api/cases")
        assert everything.headers["X-Total-Count"] == "23" and sorted(ids_of(everything.json())) == ids

        # paging: every case exactly once, newest activity first
        seen: list[str] = []
        for offset in range(0, 30, 7):
            page = api.get("/api/cases", params={"limit": 7, "offset": offset})
            assert page.status_code == 200 and page.headers["X-Total-Count"] == "23"
            seen += ids_of(page.json())
        assert sorted(seen) == ids and len(seen) == len(set(seen))

        # search: a paper's 文号, part of a customer's name (two characters and more), an id
        assert ids_of(api.get("/api/cases", params={"q": "〔2026〕707号"}).json()) == ["GY-2026-507"]
        assert ids_of(api.get("/api/cases", params={"q": "第12号冷链"}).json()) == ["GY-2026-512"]
        short = ids_of(api.get("/api/cases", params={"q": "华第"}).json())  # 华 is every fourth customer
        assert sorted(short) == [i for n, i in enumerate(ids) if n % 4 == 2]
        assert ids_of(api.get("/api/cases", params={"q": "gy-2026-519"}).json()) == ["GY-2026-519"]
        assert api.get("/api/cases", params={"q": "没有这个户名"}).json() == []

        # a hand edit shows at the next request, in the list and in search; it comes first by activity
        case_file = ws / "GY-2026-508" / "case.yaml"
        case_file.write_text(case_file.read_text("utf-8").replace("宏第8号冷链", "改名后的宏达食品"), "utf-8")
        found = api.get("/api/cases", params={"q": "宏达食品"}).json()
        assert ids_of(found) == ["GY-2026-508"] and found[0]["customer"] == "改名后的宏达食品有限公司"
        assert api.get("/api/cases", params={"q": "宏第8号"}).json() == []
        assert ids_of(api.get("/api/cases", params={"limit": 1}).json()) == ["GY-2026-508"]

        # a removed folder disappears; a broken file is listed as unreadable, and found by its id
        (ws / "GY-2026-511" / "case.yaml").unlink()
        (ws / "GY-2026-511").rmdir()
        (ws / "GY-2026-512" / "case.yaml").write_text("case_id: GY-2026-512\ncustomer: [unclosed\n", "utf-8")
        listed = {r["case_id"]: r for r in api.get("/api/cases").json()}
        assert "GY-2026-511" not in listed and len(listed) == 22
        broken = listed["GY-2026-512"]
        assert broken["ok"] is False and broken["customer"] is None and broken["errors"] >= 1
        assert broken["readable"] is False and broken["state"] == "无法读取"
        page = api.get("/", headers={"Accept": "text/html"}).text
        assert 'data-case="GY-2026-512"' in page and "（无法读取）" in page

        # the index deleted while the server runs: rebuilt at the next request
        with sqlite3.connect(ws / DB) as db:
            db.execute("DROP TABLE case_index")
            db.execute("DROP TABLE case_search")
        again = api.get("/api/cases", params={"q": "宏达食品"})
        assert ids_of(again.json()) == ["GY-2026-508"]
        assert api.get("/api/cases").headers["X-Total-Count"] == "22"
        # the whole database deleted (its inode may well be reused by the new file): rebuilt, the record too
        for part in (ws / DB).parent.glob("paperwork.sqlite3*"):
            part.unlink()
        assert api.get("/api/cases").headers["X-Total-Count"] == "22"
        assert api.get("/api/cases/GY-2026-508/history").status_code == 200


def test_filters_the_list_page_and_the_ledger(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ids = many(ws, 9)
    with in_process(ws) as api:
        grown = api.get("/api/cases", params={"kind": "增容"})
        assert sorted(ids_of(grown.json())) == [i for n, i in enumerate(ids) if n % 3 == 0]
        demo = (ROOT / "fixtures" / "demo" / "case.yaml").read_text(encoding="utf-8")
        (ws / "done").mkdir()
        (ws / "done" / "case.yaml").write_text(demo, encoding="utf-8")  # every step over: 已完成
        finished = api.get("/api/cases", params={"status": "已完成"}).json()
        assert ids_of(finished) == ["GY-2023-017"] and finished[0]["state"] == "已完成"
        running_ = api.get("/api/cases", params={"status": "进行中"})
        assert sorted(ids_of(running_.json())) == ids and running_.headers["X-Total-Count"] == "9"
        for bad in ({"status": "没有"}, {"kind": "拆除"}, {"sort": "name"}, {"limit": 0}, {"offset": -1}):
            answer = api.get("/api/cases", params=bad)
            assert answer.status_code == 422 and answer.json()["findings"][0]["code"] == "REQUEST_INVALID"
        urgent = api.get("/api/cases", params={"sort": "urgency", "limit": 100}).json()
        assert ids_of(urgent) == ids_of(api.get("/api/cases").json())  # the whole list's order
        assert ids_of(urgent)[-1] == "GY-2023-017"  # finished cases last
        page = api.get("/", params={"q": "宏", "kind": "增容"}, headers={"Accept": "text/html"}).text
        wanted = [i for n, i in enumerate(ids) if n % 3 == 0 and n % 4 == 0]
        assert f'data-total="{len(wanted)}"' in page and f"{len(wanted)} 个案卷符合" in page
        assert 'type="search"' in page and all(f'data-case="{i}"' in page for i in wanted)
        download = api.get("/api/ledger.xlsx")
        assert download.status_code == 200
        (tmp_path / "served.xlsx").write_bytes(download.content)
    runner = CliRunner()
    from_index = runner.invoke(
        cli, ["ledger", str(ws), "-o", str(tmp_path / "index.xlsx"), "--today", "2026-12-01"]
    )
    assert from_index.exit_code == 0, from_index.output
    copy = tmp_path / "plain"
    copy.mkdir()
    for case_id in [*ids, "done"]:
        (copy / case_id).mkdir()
        (copy / case_id / "case.yaml").write_bytes((ws / case_id / "case.yaml").read_bytes())
    from_files = runner.invoke(
        cli, ["ledger", str(copy), "-o", str(tmp_path / "files.xlsx"), "--today", "2026-12-01"]
    )
    assert (
        from_files.exit_code == 0 and not (copy / ".paperwork").exists()
    )  # the CLI makes no index of its own

    def sheet(path: Path) -> dict[str, dict[str, object]]:
        """Each case's row by its id, each cell by its column's title (columns come in the order met)."""
        rows = list(load_workbook(path)["台账"].iter_rows(values_only=True))
        return {str(r[0]): dict(zip(map(str, rows[0]), r, strict=True)) for r in rows[1:]}

    same_folder = {
        k: {c: str(v).replace(str(copy), str(ws)) for c, v in r.items()}
        for k, r in sheet(tmp_path / "files.xlsx").items()
    }
    assert {
        k: {c: str(v) for c, v in r.items()} for k, r in sheet(tmp_path / "index.xlsx").items()
    } == same_folder
    assert sorted(sheet(tmp_path / "served.xlsx")) == sorted([*ids, "GY-2023-017"])


def test_the_watch_sees_a_change_at_once_and_the_full_look_stands_in(tmp_path: Path) -> None:
    from paperwork.serve.watch import FolderWatch

    ws = tmp_path / "ws"
    ids = many(ws, 4)
    watch = FolderWatch(ws)
    assert watch.working  # Linux: inotify
    for case_id in ids:
        watch.follow(case_id)
    assert watch.take() == set()
    (ws / ids[1] / "case.yaml").write_text(TEMPLATE, encoding="utf-8")  # in place
    (ws / ids[2] / "scans").mkdir()  # not the case file: not a change of the case
    (ws / "GY-NEW").mkdir()
    assert watch.take() == {ids[1], "GY-NEW"}  # read at once: the kernel queued them when they happened
    (ws / "GY-NEW" / "case.yaml").write_text(TEMPLATE.replace("GY-2026-088", "GY-NEW"), encoding="utf-8")
    assert watch.take() == {"GY-NEW"}  # the new folder is watched too
    watch.close()

    # without a watch (another system, no watches left): every folder is looked at, with the same answers
    with in_process(ws) as api:
        api.app.state.server.index.watch.close()
        api.app.state.server.index.watch = None
        before = api.get("/api/cases", params={"q": "GY-NEW"}).json()
        assert ids_of(before) == ["GY-NEW"]
        (ws / "GY-NEW" / "case.yaml").write_text(
            TEMPLATE.replace("顺鑫冷链", "换了名字的冷链"), encoding="utf-8"
        )
        assert ids_of(api.get("/api/cases", params={"q": "换了名字"}).json()) == ["GY-2026-088"]
