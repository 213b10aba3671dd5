"""The server under abuse, in process: paths out of the workspace, DNS rebinding, uploads racing or
too big, text that would break a page, names a file system cannot take, answers in the documented
shape. Each case is made here as the outside case was (not the same file); see README "What it refuses"."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperwork.case.casefile import read_case
from paperwork.serve.security import host_of
from paperwork.serve.workspace import CaseFolder, Workspace
from tests.serving import in_process, workspace

LIMIT = 1 << 20  # 1 MB uploads in these tests


def _client(ws: Path, **kwargs: object) -> TestClient:
    client: TestClient = in_process(ws, **kwargs)
    return client


def _codes(answer: object) -> list[str]:
    assert isinstance(answer, dict), answer
    return [f["code"] for f in answer["findings"]]


def _with_file(api: TestClient, file: str) -> tuple[int, dict[str, object]]:
    current = api.get("/api/cases/GY-2023-017")
    data = current.json()
    data["documents"][0]["file"] = file
    answer = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": current.headers["ETag"]})
    return answer.status_code, answer.json()


@pytest.mark.parametrize("how", ["absolute", "dotdot", "link"])
def test_a_paper_naming_a_file_outside_is_refused_and_nothing_written(
    api: TestClient, ws: Path, tmp_path: Path, how: str
) -> None:
    secret = tmp_path / "elsewhere" / "secret.pdf"
    secret.parent.mkdir()
    secret.write_bytes((ws / "demo" / "scans" / "用电申请书.pdf").read_bytes())
    if how == "absolute":
        name = str(secret)
    elif how == "dotdot":
        name = "../../elsewhere/secret.pdf"
    else:
        (ws / "demo" / "scans" / "inside.pdf").symlink_to(secret)
        name = "scans/inside.pdf"
    before = (ws / "demo" / "case.yaml").read_bytes()
    status, answer = _with_file(api, name)
    assert status == 422 and _codes(answer) == ["PATH_OUTSIDE_WORKSPACE"]
    assert answer["findings"][0]["path"] == "documents[0].file"  # type: ignore[index]
    assert (ws / "demo" / "case.yaml").read_bytes() == before
    # the source route refuses it too
    text = before.decode("utf-8").replace("scans/用电申请书.pdf", name, 1)
    etag = api.get("/api/cases/GY-2023-017/source").headers["ETag"]
    put = api.put("/api/cases/GY-2023-017/source", content=text.encode(), headers={"If-Match": etag})
    assert put.status_code == 422 and _codes(put.json()) == ["PATH_OUTSIDE_WORKSPACE"]
    assert (ws / "demo" / "case.yaml").read_bytes() == before
    # written by hand: a build binds nothing from outside
    (ws / "demo" / "case.yaml").write_text(text, encoding="utf-8")
    built = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
    assert built.status_code == 422 and "PATH_OUTSIDE_WORKSPACE" in _codes(built.json())
    assert not (ws / "demo" / "装订" / "大本资料.pdf").exists()
    assert api.get("/api/cases/GY-2023-017/documents/0/file").status_code in (403, 400)


def test_a_build_folder_that_links_out_is_not_written(api: TestClient, ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws / "demo" / "装订").symlink_to(outside, target_is_directory=True)
    built = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
    assert built.status_code == 400 and _codes(built.json()) == ["REQUEST_INVALID"]
    assert list(outside.iterdir()) == []
    assert api.get("/api/cases/GY-2023-017/documents/0/thumb.png").status_code == 400
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    "host", ["evil.example:8000", "evil.example", "127.0.0.1.evil.example", "localhost.evil"]
)
def test_a_name_someone_else_points_here_is_refused(api: TestClient, host: str) -> None:
    for method, path in (
        ("GET", "/api/cases"),
        ("GET", "/cases/GY-2023-017"),
        ("PUT", "/api/cases/GY-2023-017"),
    ):
        headers = {"Host": host, "Origin": f"http://{host}"}
        answer = api.request(method, path, headers={**headers, "Accept": "application/json"}, json={})
        assert answer.status_code == 400, (method, path, answer.text)
        assert _codes(answer.json()) == ["HOST_NOT_ALLOWED"]
        assert "GY-2023-017" not in answer.text or method != "GET" or "宏达" not in answer.text


def test_ip_addresses_localhost_and_the_names_given_are_answered(ws: Path) -> None:
    for host in ("127.0.0.1:8000", "localhost:8000", "[::1]:8000", "192.168.1.20:8000"):
        with _client(ws) as api:
            assert api.get("/api/cases", headers={"Host": host}).status_code == 200, host
    with _client(ws, allowed_hosts=("paperwork.office.lan",)) as api:
        assert api.get("/api/cases", headers={"Host": "paperwork.office.lan:8000"}).status_code == 200
        assert api.get("/api/cases", headers={"Host": "other.office.lan"}).status_code == 400
    assert host_of("[::1]:8000") == "::1" and host_of("Example.COM:80") == "example.com"
    assert host_of("::1") == "::1"


def test_twelve_uploads_of_one_name_at_once_keep_twelve_files(ws: Path) -> None:
    space = Workspace(ws)
    case = CaseFolder("demo", ws / "demo")
    bodies = [b"%PDF-1.4\n% race " + bytes([i]) * (1000 + i) for i in range(12)]
    names: list[str] = []
    gate = threading.Barrier(12)

    def upload(body: bytes) -> None:
        gate.wait()
        names.append(space.store_upload(case, "race.pdf", io.BytesIO(body)))

    threads = [threading.Thread(target=upload, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(names)) == 12
    stored = {(ws / "demo" / n).read_bytes() for n in names}
    assert stored == set(bodies)  # none lost, none overwritten
    assert not [p for p in (ws / "demo" / "scans").iterdir() if p.name.startswith(".upload-")]


def test_an_upload_over_the_limit_is_refused_before_it_is_read(api: TestClient, ws: Path) -> None:
    big = b"%PDF-1.4\n" + b"0" * (3 * LIMIT)
    said = api.post("/api/cases/GY-2023-017/files", files={"file": ("big.pdf", big)})
    assert said.status_code == 413 and _codes(said.json()) == ["UPLOAD_TOO_LARGE"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n\r\n%PDF-1.4\n'
        for _ in range(64):
            yield b"0" * (256 * 1024)
        yield b"\r\n--B--\r\n"

    streamed = api.post(
        "/api/cases/GY-2023-017/files",
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=B"},
    )
    assert streamed.status_code == 413 and _codes(streamed.json()) == ["UPLOAD_TOO_LARGE"]
    assert not any(p.name.startswith("big") for p in (ws / "demo" / "scans").iterdir())


@pytest.mark.parametrize(
    "text", ["<!--<script>", "</script><script>alert(1)</script>", "a\u2028b\u2029c", "&lt;&amp;>"]
)
def test_stored_text_never_bends_the_page(api: TestClient, text: str) -> None:
    current = api.get("/api/cases/GY-2023-017")
    data = current.json()
    data["customer"]["name"] = text
    put = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": current.headers["ETag"]})
    assert put.status_code == 200, put.text
    page = api.get("/cases/GY-2023-017").text
    state = re.search(r'<script id="state" type="application/json">(.*?)</script>', page, re.S)
    assert state is not None
    assert not re.search(r"[<>&\u2028\u2029]", state.group(1))
    assert json.loads(state.group(1))["case"]["customer"]["name"] == text
    assert page.count('<script id="state"') == 1


def test_names_a_file_system_cannot_take_are_refused_not_500(api: TestClient, ws: Path) -> None:
    long_id = "案" * 100  # 300 bytes: over what a folder name may take
    for case_id in (long_id, "CON", "nul", "com1", "LPT9.txt"):
        new = api.post(
            "/api/cases",
            json={
                "case_id": case_id,
                "kind": "新装",
                "application_date": "2026-11-01",
                "customer": {"name": "甲"},
            },
        )
        assert new.status_code == 400 and _codes(new.json()) == ["REQUEST_INVALID"], (case_id, new.text)
        assert api.get(f"/api/cases/{case_id}").status_code == 400
    emoji = "😀" * 300 + ".pdf"
    pdf = (ws / "demo" / "scans" / "用电申请书.pdf").read_bytes()
    up = api.post("/api/cases/GY-2023-017/files", files={"file": (emoji, pdf)})
    assert up.status_code == 201, up.text
    assert len(Path(up.json()["file"]).name.encode("utf-8")) <= 255
    device = api.post("/api/cases/GY-2023-017/files", files={"file": ("NUL.pdf", pdf + b"\n%x")})
    assert device.status_code == 201 and Path(device.json()["file"]).stem.upper() != "NUL"


def test_a_body_nested_300_deep_is_refused(api: TestClient, ws: Path) -> None:
    before = (ws / "demo" / "case.yaml").read_bytes()
    deep: object = "x"
    for _ in range(300):
        deep = {"a": deep}
    data, tag = read_case(ws / "demo" / "case.yaml")
    data["customer"]["extra"] = deep
    answer = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": tag})
    assert answer.status_code == 422 and _codes(answer.json()) == ["REQUEST_INVALID"]
    assert (ws / "demo" / "case.yaml").read_bytes() == before


def test_every_refusal_has_the_documented_shape(api: TestClient) -> None:
    unknown = api.get("/api/no/such/route")
    assert unknown.status_code == 404 and _codes(unknown.json()) == ["ROUTE_NOT_FOUND"]
    wrong = api.delete("/api/cases")
    assert wrong.status_code == 405 and _codes(wrong.json()) == ["METHOD_NOT_ALLOWED"]
    assert wrong.json()["ok"] is False
    page = api.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]
    # the new-case form answers a browser with a page, never raw JSON
    form = api.post(
        "/cases/new",
        data={"case_id": "CON", "kind": "新装", "application_date": "2026-11-01", "customer": "甲"},
        headers={"Accept": "text/html"},
    )
    assert form.status_code == 400 and "text/html" in form.headers["content-type"]
    assert "CON" in form.text and "Windows" in form.text
    for answer in (api.get("/api/cases"), api.get("/cases/GY-2023-017"), unknown):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "SAMEORIGIN"


def test_no_temporary_upload_is_left_behind(api: TestClient, ws: Path) -> None:
    api.post("/api/cases/GY-2023-017/files", files={"file": ("x.pdf", b"not a pdf at all")})
    leftovers = [p for p in (ws / "demo" / "scans").iterdir() if p.name.startswith(".upload-")]
    assert leftovers == [] and os.path.isdir(ws / "demo" / "scans")


def test_a_login_ends_and_wrong_tries_are_throttled(ws: Path) -> None:
    from paperwork.serve.security import Access, Throttle

    access = Access("s3cret")
    cookie = access.session(now=1_000_000)
    assert access.session_ok(cookie, now=1_000_000 + 3600)
    assert not access.session_ok(cookie, now=1_000_000 + 13 * 3600)  # a working day later: ended
    assert not Access("another").session_ok(cookie, now=1_000_000)  # a new token ends every login
    assert not access.session_ok("9999999999." + "0" * 64) and not access.session_ok("garbage")
    throttle = Throttle()
    for i in range(5):
        assert throttle.wait("a", now=100 + i) == 0
        throttle.failed("a", now=100 + i)
    assert throttle.wait("a", now=105) > 0 and throttle.wait("b", now=105) == 0
    assert throttle.wait("a", now=170) == 0  # a minute later
    with _client(ws, token="s3cret") as api:
        for _ in range(5):
            assert api.post("/login", data={"token": "wrong"}).status_code == 401
        shut = api.post("/login", data={"token": "s3cret"}, headers={"Accept": "text/html"})
        assert shut.status_code == 429 and "LOGIN_THROTTLED" in shut.text and "s3cret" not in shut.text
        assert "paperwork_session" not in shut.headers.get("set-cookie", "")
    with _client(ws, token="s3cret") as api:
        login = api.post("/login", data={"token": "s3cret"}, follow_redirects=False)
        assert login.status_code == 303
        set_cookie = login.headers["set-cookie"].lower()
        assert "max-age=43200" in set_cookie and "httponly" in set_cookie and "samesite=strict" in set_cookie


def test_a_server_killed_while_writing_leaves_no_torn_file(tmp_path: Path) -> None:
    import signal
    import time

    import httpx
    import yaml
    from pypdf import PdfReader

    from tests.serving import running

    ws = workspace(tmp_path / "ws")
    no_office = {"PAPERWORK_SOFFICE": str(tmp_path / "no-soffice")}  # no build here: no LibreOffice needed
    pdf = (ws / "demo" / "scans" / "用电申请书.pdf").read_bytes()
    written: list[str] = []
    stop = threading.Event()

    def edit(client: httpx.Client, n: int) -> None:
        current = client.get("/api/cases/GY-2023-017")
        data = current.json()
        data["customer"]["phone"] = f"010-{n:08d}"
        data["customer"]["name"] = "宏达精密机械有限公司" + "长" * (n % 50)  # files of many sizes
        written.append(data["customer"]["phone"])
        client.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": current.headers["ETag"]})

    def upload(client: httpx.Client, n: int) -> None:
        body = pdf + f"\n% upload {n}\n".encode() + b"0" * (n * 5000 % 200_000)
        client.post("/api/cases/GY-2023-017/files", files={"file": ("扫描.pdf", body)})

    def again_and_again(url: str, job: Callable[[httpx.Client, int], None]) -> None:
        with httpx.Client(base_url=url, timeout=10) as client:
            for n in itertools.count(1):
                if stop.is_set():
                    return
                with contextlib.suppress(httpx.HTTPError):
                    job(client, n)

    with running(ws, "--no-cache", env=no_office) as srv:
        workers = [threading.Thread(target=again_and_again, args=(srv.url, job)) for job in (edit, upload)]
        for w in workers:
            w.start()
        time.sleep(2.0)
        srv.process.send_signal(signal.SIGKILL)  # no clean-up: the power is cut
        srv.process.wait()
        stop.set()
        for w in workers:
            w.join()
    assert written, "no edit reached the server"
    data = yaml.safe_load((ws / "demo" / "case.yaml").read_text(encoding="utf-8"))
    assert data["customer"]["phone"] in ["010-69441234", *written]  # the old file or one whole write
    uploaded = sorted((ws / "demo" / "scans").glob("扫描*.pdf"))
    assert uploaded, "no upload reached the server"
    for scan in uploaded:  # a name is given only to a whole file
        assert len(PdfReader(scan).pages) >= 1, scan.name
    with running(ws, "--no-cache", env=no_office) as srv, srv.client() as client:  # starts again, works
        current = client.get("/api/cases/GY-2023-017")
        assert current.status_code == 200
        data = current.json()
        data["customer"]["phone"] = "010-99990000"
        put = client.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": current.headers["ETag"]})
        assert put.status_code == 200


def test_a_large_workspace_with_odd_things_in_it(tmp_path: Path) -> None:
    """400 cases, and what a shared folder also holds: a broken case, a folder without a case, a stray file,
    a hidden folder, a link to a case outside: listed, paged and searched right, nothing else shown."""
    from openpyxl import load_workbook

    from tests.test_index import many

    ws = tmp_path / "ws"
    ids = many(ws, 400)
    (ws / "broken").mkdir()
    (ws / "broken" / "case.yaml").write_text("case_id: BROKEN-1\nkind: [\n", encoding="utf-8")
    (ws / "empty-folder").mkdir()
    (ws / "notes.txt").write_text("not a case", encoding="utf-8")
    (ws / ".git").mkdir()
    (ws / ".git" / "case.yaml").write_text("case_id: HIDDEN\n", encoding="utf-8")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "case.yaml").write_text("case_id: OUTSIDE-1\nkind: 新装\n", encoding="utf-8")
    (ws / "link-out").symlink_to(outside, target_is_directory=True)
    with in_process(ws) as api:
        first = api.get("/api/cases", params={"limit": 50})
        assert first.status_code == 200 and first.headers["X-Total-Count"] == "401"
        seen = [
            r["case_id"]
            for offset in range(0, 450, 50)
            for r in api.get("/api/cases", params={"limit": 50, "offset": offset}).json()
        ]
        assert sorted(seen) == sorted([*ids, "BROKEN-1"]) and len(seen) == len(set(seen))
        assert api.get("/api/cases", params={"q": "OUTSIDE"}).json() == []
        assert api.get("/api/cases", params={"q": "HIDDEN"}).json() == []
        assert [r["case_id"] for r in api.get("/api/cases", params={"q": "第399号"}).json()] == [
            "GY-2026-899"
        ]
        page = api.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "共 401 个案卷" in page.text and 'rel="next"' in page.text
        assert page.text.count("<tr data-case=") == 100
        last = api.get("/", params={"page_no": 5}, headers={"Accept": "text/html"}).text
        assert last.count("<tr data-case=") == 1 and 'rel="prev"' in last
        assert api.get("/", params={"page_no": -3}, headers={"Accept": "text/html"}).status_code == 200
        ledger = api.get("/api/ledger.xlsx")
        (tmp_path / "l.xlsx").write_bytes(ledger.content)
    assert load_workbook(tmp_path / "l.xlsx")["台账"].max_row == 402
