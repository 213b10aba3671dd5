"""The office's server for a team: a login per clerk, every change on record, TLS.

Against a real ``paperwork serve`` (a subprocess): two clerks edit and each change is recorded under
her name with its old and new values; a hand edit appears as ``outside``; a restore brings the file
back byte for byte and is recorded; brute force is throttled; a removed user's cookie and tokens stop
at once; no password or token is found in the database, the log or any answer. In process: the
``users`` commands, sessions that end, the admins' page, a damaged or locked database, writes at
once, the 立卷人/检查人 a build takes from the login, HTTPS.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from paperwork.cli import cli
from tests.conftest import docx_text
from tests.serving import in_process, running, workspace

PASSWORDS = {"anna": "anna-Geheim-2026", "bo": "bo-secret-pass-9", "cy": "cy-password-77"}
DB = Path(".paperwork") / "paperwork.sqlite3"


def add_users(runner: CliRunner, ws: Path) -> None:
    for name, display, admin in (("anna", "张敏", True), ("bo", "刘强", False), ("cy", "陈晨", False)):
        args = ["users", "add", name, "--display", display, "--password-stdin", "--workspace", str(ws)]
        done = runner.invoke(cli, [*args, *(["--admin"] if admin else [])], input=PASSWORDS[name] + "\n")
        assert done.exit_code == 0, done.output


def login(client: Any, name: str, password: str | None = None) -> Any:
    return client.post(
        "/login", data={"name": name, "password": password or PASSWORDS[name]}, follow_redirects=False
    )


def secrets_in(folder: Path, secrets: list[str]) -> list[str]:
    """Every secret whose text appears in any file under ``folder`` (the database and its journal)."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            found += [f"{s} in {path.name}" for s in secrets if s.encode() in raw]
    return found


def test_users_commands(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    listed = runner.invoke(cli, ["users", "list", "--workspace", str(ws)])
    assert listed.exit_code == 0
    assert "anna\t张敏\t管理员" in listed.output and "bo\t刘强\t客服" in listed.output
    again = runner.invoke(
        cli, ["users", "add", "bo", "--password-stdin", "--workspace", str(ws)], input="x" * 9
    )
    assert again.exit_code == 1 and "已经存在" in again.output
    add = ["users", "add", "--password-stdin", "--workspace", str(ws)]
    empty = runner.invoke(cli, [*add, "dd"], input="\n")
    assert empty.exit_code == 1 and "密码不能为空" in empty.output
    short = runner.invoke(cli, [*add, "ee"], input="abc\n")
    assert short.exit_code == 0 and "少于 8 个字符" in short.output  # taken (the office decides), warned
    assert runner.invoke(cli, ["users", "remove", "ee", "--workspace", str(ws)]).exit_code == 0
    unknown = runner.invoke(
        cli, ["users", "passwd", "zz", "--password-stdin", "--workspace", str(ws)], input="y" * 9
    )
    assert unknown.exit_code == 1 and "没有用户 zz" in unknown.output
    missing = runner.invoke(cli, ["users", "list", "--workspace", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
    first = runner.invoke(cli, ["users", "token", "bo", "--workspace", str(ws)]).output.splitlines()[0]
    second = runner.invoke(cli, ["users", "token", "bo", "--workspace", str(ws)]).output.splitlines()[0]
    assert first.startswith("pwk_") and first != second
    assert "脚本口令 2 个" in runner.invoke(cli, ["users", "list", "--workspace", str(ws)]).output
    new_password = "bo-new-password-1"
    changed = runner.invoke(
        cli, ["users", "passwd", "bo", "--password-stdin", "--workspace", str(ws)], input=new_password
    )
    assert changed.exit_code == 0
    # only hashes are kept: argon2id for the passwords, SHA-256 for the tokens
    assert not secrets_in(ws / ".paperwork", [*PASSWORDS.values(), new_password, first, second])
    with sqlite3.connect(ws / DB) as db:
        hashes = [row[0] for row in db.execute("SELECT password FROM users")]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    with in_process(ws) as api:
        assert api.get("/api/me", headers={"Authorization": f"Bearer {first}"}).json()["user"]["name"] == "bo"
        revoked = runner.invoke(cli, ["users", "token", "bo", "--revoke", "--workspace", str(ws)])
        assert revoked.exit_code == 0 and "2 个" in revoked.output
        gone = api.get("/api/cases", headers={"Authorization": f"Bearer {second}"})
        assert gone.status_code == 401 and gone.json()["findings"][0]["code"] == "LOGIN_FAILED"
    removed = runner.invoke(cli, ["users", "remove", "bo", "--workspace", str(ws)])
    assert removed.exit_code == 0
    assert "bo\t" not in runner.invoke(cli, ["users", "list", "--workspace", str(ws)]).output
    assert runner.invoke(cli, ["users", "remove", "bo", "--workspace", str(ws)]).exit_code == 1


def _put(client: Any, case: str, change: Any) -> Any:
    got = client.get(f"/api/cases/{case}")
    assert got.status_code == 200, got.text
    data = got.json()
    change(data)
    return client.put(f"/api/cases/{case}", json=data, headers={"If-Match": got.headers["ETag"]})


def test_two_clerks_on_a_real_server(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    case_file = ws / "demo" / "case.yaml"
    answers: list[str] = []
    with running(ws, "--no-cache", env={"PAPERWORK_SOFFICE": "/nonexistent/soffice"}) as srv:
        anna, bo, cy, outsider = srv.client(), srv.client(), srv.client(), srv.client()
        assert outsider.get("/api/cases").json()["findings"][0]["code"] == "LOGIN_REQUIRED"
        page = outsider.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 401 and 'name="password"' in page.text and 'name="name"' in page.text
        for client, name in ((anna, "anna"), (bo, "bo"), (cy, "cy")):
            answer = login(client, name)
            assert answer.status_code == 303 and answer.headers["location"] == "/"
            cookie = answer.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=43200" in cookie
        assert bo.get("/api/me").json()["user"] == {"name": "bo", "display": "刘强", "admin": False}

        first = _put(anna, "GY-2023-017", lambda d: d["customer"].update(phone="010-11112222"))
        assert first.status_code == 200, first.text
        after_anna = case_file.read_bytes()
        second = _put(bo, "GY-2023-017", lambda d: d["documents"][4].update(date="2023-03-03"))
        assert second.status_code == 200, second.text
        history = anna.get("/api/cases/GY-2023-017/history").json()
        assert [(e["who"], e["outside"]) for e in history[:2]] == [("bo", False), ("anna", False)]
        assert history[1]["changes"] == [
            {"path": "customer.phone", "old": "010-69441234", "new": "010-11112222"}
        ]
        bo_change = history[0]["changes"]
        assert len(bo_change) == 1 and bo_change[0]["path"] == "documents[4].date"
        assert bo_change[0]["new"] == "2023-03-03" and bo_change[0]["old"] != "2023-03-03"
        assert history[0]["when"] >= history[1]["when"] and history[0]["id"] > history[1]["id"]

        # a hand edit (an editor, git pull): noticed on the next read, recorded as outside with its diff
        text = case_file.read_text(encoding="utf-8").replace("010-11112222", "010-55556666")
        case_file.write_text(text + "# 手工加的注释\n", encoding="utf-8")
        history = cy.get("/api/cases/GY-2023-017/history").json()
        outside = history[0]
        assert outside["outside"] is True and outside["who"] is None
        assert outside["changes"] == [
            {"path": "customer.phone", "old": "010-11112222", "new": "010-55556666"}
        ]

        # anna's version back, byte for byte, with If-Match; the restore is itself on record
        entry = next(e["id"] for e in history if e["who"] == "anna")
        nothing = cy.get("/api/cases/GY-2023-017/history/99999/source")
        assert nothing.status_code == 404 and nothing.json()["findings"][0]["code"] == "HISTORY_NOT_FOUND"
        source = cy.get(f"/api/cases/GY-2023-017/history/{entry}/source")
        assert source.status_code == 200 and source.content == after_anna
        stale = cy.post(f"/api/cases/GY-2023-017/history/{entry}/restore", headers={"If-Match": '"0000"'})
        assert stale.status_code == 409 and stale.json()["findings"][0]["code"] == "CASE_STALE"
        tag = cy.get("/api/cases/GY-2023-017").headers["ETag"]
        restored = cy.post(f"/api/cases/GY-2023-017/history/{entry}/restore", headers={"If-Match": tag})
        assert restored.status_code == 200, restored.text
        assert case_file.read_bytes() == after_anna
        assert b"# " in after_anna  # the file's own comments came back with it
        latest = cy.get("/api/cases/GY-2023-017/history").json()[0]
        assert latest["who"] == "cy" and latest["action"] == "restore" and not latest["outside"]
        assert {"path": "customer.phone", "old": "010-55556666", "new": "010-11112222"} in latest["changes"]

        # brute force: five wrong passwords for one name close it for a minute, the right one included;
        # an unknown name is answered the same way
        wrong = [login(outsider, "cy", f"guess-{n}") for n in range(5)]
        assert [w.status_code for w in wrong] == [401] * 5
        assert all(w.json()["findings"][0]["code"] == "LOGIN_FAILED" for w in wrong)
        assert login(outsider, "nobody-here", "guess-0").json() == wrong[0].json()
        shut = login(outsider, "cy")
        assert shut.status_code == 429 and shut.json()["findings"][0]["code"] == "LOGIN_THROTTLED"
        assert "秒后再试" in shut.json()["findings"][0]["message"]
        with srv.client() as fresh:
            assert login(fresh, "anna").status_code == 303  # another name is not closed

        # a removed user: her cookie and her tokens stop at once, nothing changes
        token = runner.invoke(cli, ["users", "token", "bo", "--workspace", str(ws)]).output.splitlines()[0]
        scripted = srv.client(headers={"Authorization": f"Bearer {token}"})
        assert scripted.get("/api/cases").status_code == 200
        assert runner.invoke(cli, ["users", "remove", "bo", "--workspace", str(ws)]).exit_code == 0
        before = case_file.read_bytes()
        refused = bo.put("/api/cases/GY-2023-017", json={"case_id": "GY-2023-017"})
        assert refused.status_code == 401 and refused.json()["findings"][0]["code"] == "LOGIN_REQUIRED"
        by_token = scripted.get("/api/cases")
        assert by_token.status_code == 401 and by_token.json()["findings"][0]["code"] == "LOGIN_FAILED"
        assert case_file.read_bytes() == before
        for client in (anna, bo, cy, outsider, scripted):
            client.close()
        answers += [w.text for w in wrong] + [
            shut.text,
            stale.text,
            restored.text,
            source.text,
            by_token.text,
        ]
    secrets = [*PASSWORDS.values(), token]
    log = srv.log.read_text(encoding="utf-8")
    assert not [s for s in secrets if s in log], log
    assert not [s for s in secrets for a in answers if s in a]
    assert not secrets_in(ws / ".paperwork", secrets)


def test_sessions_end_and_admins_manage_users(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    with in_process(ws, session_seconds=1) as api:
        assert login(api, "bo").status_code == 303
        assert api.get("/api/cases").status_code == 200
        time.sleep(1.2)
        expired = api.get("/api/cases")
        assert expired.status_code == 401 and expired.json()["findings"][0]["code"] == "LOGIN_REQUIRED"
    with in_process(ws) as api:
        assert login(api, "bo").status_code == 303
        clerk = api.get("/users", headers={"Accept": "text/html"})
        assert clerk.status_code == 403 and "只有管理员" in clerk.text
        refused = api.post("/users", data={"name": "dd", "password": "dd-password-1"})
        assert refused.status_code == 403 and refused.json()["findings"][0]["code"] == "ADMIN_REQUIRED"
        cookie = api.cookies.get("paperwork_session")
        out = api.post("/logout", follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        api.cookies.set("paperwork_session", cookie)
        again = api.get("/api/cases")
        assert again.status_code == 401  # a copied cookie of a closed session does not work either
    with in_process(ws) as api:
        assert login(api, "anna").status_code == 303
        listing = api.get("/users", headers={"Accept": "text/html"})
        assert listing.status_code == 200 and 'data-user="bo"' in listing.text
        added = api.post("/users", data={"name": "dd", "display": "杜丹", "password": "dd-password-1"})
        assert added.status_code == 200 and "已添加用户 dd" in added.text
        twice = api.post("/users", data={"name": "dd", "password": "dd-password-1"})
        assert twice.status_code == 409 and "ACCOUNT_INVALID" in twice.text
        assert api.post("/users/anna/remove").status_code == 409  # not herself
        assert api.post("/users/dd/remove").status_code == 200
    with in_process(ws) as api:
        assert login(api, "dd", "dd-password-1").status_code == 401


def test_a_damaged_or_locked_database_refuses_writes_not_reads(ws: Path) -> None:
    case_file = ws / "demo" / "case.yaml"
    with in_process(ws) as api:
        assert api.get("/api/cases/GY-2023-017").status_code == 200  # the record starts (no users)
        lock = sqlite3.connect(ws / DB, timeout=0.1, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            before = case_file.read_bytes()
            assert api.get("/api/cases/GY-2023-017").status_code == 200
            put = _put(api, "GY-2023-017", lambda d: d["customer"].update(phone="010-00000001"))
            assert put.status_code == 503 and put.json()["findings"][0]["code"] == "HISTORY_UNAVAILABLE"
            assert "占用" in put.json()["findings"][0]["message"]
            upload = api.post("/api/cases/GY-2023-017/files", files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n")})
            assert upload.status_code == 503
            assert case_file.read_bytes() == before and not (ws / "demo" / "scans" / "a.pdf").exists()
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert (
            _put(api, "GY-2023-017", lambda d: d["customer"].update(phone="010-00000002")).status_code == 200
        )
    for extra in (ws / DB).parent.glob("*"):
        extra.unlink()
    (ws / DB).write_bytes(b"this is not a database, it was damaged " * 200)
    with in_process(ws) as api:
        before = case_file.read_bytes()
        assert api.get("/api/cases/GY-2023-017").status_code == 200
        assert api.get("/cases/GY-2023-017", headers={"Accept": "text/html"}).status_code == 200
        put = _put(api, "GY-2023-017", lambda d: d["customer"].update(phone="010-00000003"))
        assert put.status_code == 503 and put.json()["findings"][0]["code"] == "HISTORY_UNAVAILABLE"
        assert "损坏" in put.json()["findings"][0]["message"]
        assert case_file.read_bytes() == before
        assert api.get("/api/cases/GY-2023-017/history").status_code == 503


def test_the_first_change_can_be_undone_back_to_the_file_as_first_seen(ws: Path) -> None:
    case_file = ws / "demo" / "case.yaml"
    original = case_file.read_bytes()
    with in_process(ws) as api:
        assert _put(api, "GY-2023-017", lambda d: d["customer"].update(phone="010-1")).status_code == 200
        assert _put(api, "GY-2023-017", lambda d: d["customer"].update(phone="010-1")).status_code == 200
        history = api.get("/api/cases/GY-2023-017/history").json()
        assert len(history) == 1  # a save that changes nothing is not a change
        before = history[0]["before"]
        assert api.get(f"/api/cases/GY-2023-017/history/{before}/source").content == original
        assert api.post(f"/api/cases/GY-2023-017/history/{before}/restore").status_code == 200
        assert case_file.read_bytes() == original
        assert [e["action"] for e in api.get("/api/cases/GY-2023-017/history").json()] == ["restore", "edit"]
        page = api.get("/cases/GY-2023-017/history", headers={"Accept": "text/html"}).text
        assert "固定电话" in page and "恢复旧版本" in page and "customer.phone" not in page


def test_a_damaged_database_with_users_lets_nobody_in(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    for extra in (ws / DB).parent.glob("paperwork.sqlite3*"):
        extra.unlink()
    (ws / DB).write_bytes(b"\x00garbage" * 500)
    with in_process(ws) as api:
        answer = api.get("/api/cases", headers={"Authorization": "Bearer anything"})
        assert answer.status_code == 503 and answer.json()["findings"][0]["code"] == "HISTORY_UNAVAILABLE"
        assert login(api, "anna").status_code == 503


def test_a_deleted_database_does_not_open_the_door(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    for part in (ws / DB).parent.glob("paperwork.sqlite3*"):
        part.unlink()
    with in_process(ws) as api:
        answer = api.get("/api/cases/GY-2023-017")
        assert answer.status_code == 503 and answer.json()["findings"][0]["code"] == "HISTORY_UNAVAILABLE"
        assert "users add" in answer.json()["findings"][0]["message"]
    add = ["users", "add", "anna", "--admin", "--password-stdin", "--workspace", str(ws)]
    assert runner.invoke(cli, add, input=PASSWORDS["anna"]).exit_code == 0
    with in_process(ws) as api:
        assert api.get("/api/cases").status_code == 401  # users again: logins again
        assert login(api, "anna").status_code == 303 and api.get("/api/cases").status_code == 200


def test_writes_at_once_are_all_recorded_in_order(ws: Path) -> None:
    results: list[int] = []
    with in_process(ws) as api:
        assert api.get("/api/cases/GY-2023-017").status_code == 200

        def write(n: int) -> None:
            put = _put(api, "GY-2023-017", lambda d: d["customer"].update(phone=f"010-7000{n:04d}"))
            results.append(put.status_code)

        workers = [threading.Thread(target=write, args=(n,)) for n in range(8)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        history = api.get("/api/cases/GY-2023-017/history").json()
    assert set(results) <= {200, 409} and results.count(200) >= 1
    edits = [e for e in history if e["action"] == "edit"]
    assert len(edits) == results.count(200)
    chain = [e["changes"][0] for e in reversed(edits)]  # oldest first: each starts where the last ended
    assert all(a["new"] == b["old"] for a, b in itertools.pairwise(chain))
    assert (
        chain[-1]["new"]
        == yaml.safe_load((ws / "demo" / "case.yaml").read_text("utf-8"))["customer"]["phone"]
    )


def test_uploads_builds_and_new_cases_are_recorded_with_the_signer(tmp_path: Path, runner: CliRunner) -> None:
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    with in_process(ws) as api:
        login(api, "bo")
        pdf = (ws / "demo" / "scans").glob("*.pdf").__next__().read_bytes()
        stored = api.post("/api/cases/in-progress/files", files={"file": ("扫描件.pdf", pdf)})
        assert stored.status_code == 201
        created = api.post(
            "/api/cases",
            json={
                "case_id": "GY-NEW-1",
                "kind": "新装",
                "application_date": "2026-11-02",
                "customer": {"name": "新户"},
            },
        )
        assert created.status_code == 201
        built = api.post("/api/cases/in-progress/build?draft=true")
        assert built.status_code == 200, built.text
        history = api.get("/api/cases/in-progress/history").json()
        new_case = api.get("/api/cases/GY-NEW-1/history").json()
    import hashlib

    assert [e["action"] for e in history[:2]] == ["build", "upload"] and {e["who"] for e in history[:2]} == {
        "bo"
    }
    upload = history[1]["changes"][0]
    assert upload["new"] == {"name": stored.json()["file"], "sha256": hashlib.sha256(pdf).hexdigest()}
    assert history[0]["changes"][0]["new"]["draft"] is True
    assert new_case[0]["action"] == "create" and new_case[0]["who"] == "bo"
    assert {"path": "customer.name", "old": None, "new": "新户"} in new_case[0]["changes"]
    # the in-progress case names no 立卷人/检查人: the build signs with bo's display name
    note = next((ws / "in-progress" / "装订" / "docx").glob("*卷内备考表.docx"))
    assert docx_text(note).count("刘强") >= 2


def test_the_demo_case_keeps_its_own_signers(tmp_path: Path, runner: CliRunner) -> None:
    from paperwork.binder.build import signed

    ws = workspace(tmp_path / "ws")
    assert signed(ws / "demo" / "case.yaml", "刘强") is None  # 张敏 and 刘强 are written in it
    case = signed(ws / "in-progress" / "case.yaml", "陈晨")
    assert case is not None and (case.archive.filer, case.archive.checker) == ("陈晨", "陈晨")
    own = tmp_path / "bureau.yaml"
    own.write_text("signed_by_record: [filer]\n", encoding="utf-8")
    text = (ws / "in-progress" / "case.yaml").read_text(encoding="utf-8")
    (ws / "in-progress" / "case.yaml").write_text(f"bureau: {own}\n{text}", encoding="utf-8")
    case = signed(ws / "in-progress" / "case.yaml", "陈晨")
    assert case is not None and (case.archive.filer, case.archive.checker) == ("陈晨", None)


def test_https_and_the_clear_text_warning(tmp_path: Path, runner: CliRunner) -> None:
    openssl = shutil.which("openssl")
    assert openssl, "openssl is missing (apt install openssl)"
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    ws = workspace(tmp_path / "ws")
    add_users(runner, ws)
    no_office = {"PAPERWORK_SOFFICE": "/nonexistent/soffice"}
    with running(ws, "--no-cache", "--tls-cert", str(cert), "--tls-key", str(key), env=no_office) as srv:
        assert srv.url.startswith("https://")
        with srv.client() as client:
            answer = login(client, "anna")
            assert answer.status_code == 303 and "secure" in answer.headers["set-cookie"].lower()
            assert client.get("/api/cases").status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(srv.url.replace("https", "http") + "/api/cases", timeout=5)
    assert "https://" in srv.log.read_text(encoding="utf-8") and "明文" not in srv.log.read_text(
        encoding="utf-8"
    )
    with running(ws, "--no-cache", "--host", "0.0.0.0", env=no_office) as srv:
        pass
    assert "明文" in srv.log.read_text(encoding="utf-8")
    bad = runner.invoke(cli, ["serve", str(ws), "--tls-cert", str(key), "--tls-key", str(cert)])
    assert bad.exit_code == 2 and "无法使用" in bad.output
