// The case page: the papers table, saved through the API with If-Match; the panels
// (findings, dates, next step, timeline) re-read from the server after every save.
"use strict";

const state = JSON.parse(document.getElementById("state").textContent);
const caseId = decodeURIComponent(location.pathname.split("/")[2]);
const api = "/api/cases/" + encodeURIComponent(caseId);
const FIELDS = [["title", "text"], ["date", "text"], ["number", "text"], ["round", "number"], ["file", "text"], ["pages", "number"]];
let etag = state.etag;
let saving = Promise.resolve();
let stale = false;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function banner(html, kind) {
  const b = document.getElementById("banner");
  b.innerHTML = html;
  b.className = "banner " + (kind || "error");
  b.hidden = !html;
}

function papers() {
  if (!state.case) return [];
  if (!Array.isArray(state.case.documents)) state.case.documents = [];
  return state.case.documents;
}

function setField(doc, field, raw) {
  const value = raw.trim();
  if (value === "") { delete doc[field]; return; }
  if ((field === "round" || field === "pages") && /^\d+$/.test(value)) doc[field] = parseInt(value, 10);
  else doc[field] = value;
}

function renderTable() {
  const body = document.querySelector("#papers tbody");
  body.replaceChildren();
  papers().forEach((doc, i) => {
    const row = el("tr", {"data-index": i, class: doc._proposal ? "proposed" : ""});
    row.append(el("td", {}, String(i + 1)));
    for (const [field, type] of FIELDS) {
      const input = el("input", {type, name: field, "data-field": field, "aria-label": field});
      if (field === "title") input.setAttribute("list", "titles");
      if (field === "date") input.setAttribute("placeholder", "年-月-日");
      if (type === "number") input.setAttribute("min", "1");
      input.value = doc[field] === undefined || doc[field] === null ? "" : String(doc[field]);
      input.addEventListener("change", () => { setField(doc, field, input.value); save(); });
      const cell = el("td", {class: "f-" + field}, input);
      if (field === "file") {
        const upload = el("input", {type: "file", accept: ".pdf,.jpg,.jpeg,.png,.docx,.doc", "aria-label": "上传"});
        upload.addEventListener("change", () => uploadFor(doc, upload));
        cell.append(el("label", {class: "upload"}, "上传…", upload));
      }
      row.append(cell);
    }
    const actions = el("td", {});
    if (doc._proposal) {
      actions.append(el("button", {type: "button", class: "confirm", title: "已对照扫描件核对", onclick: () => {
        delete doc._proposal; renderTable(); save();
      }}, "确认"));
    }
    actions.append(el("button", {type: "button", class: "light remove", title: "删去这份资料", onclick: () => {
      if (confirm("删去第 " + (i + 1) + " 行“" + (doc.title || "") + "”？")) { papers().splice(i, 1); renderTable(); save(); }
    }}, "删去"));
    row.append(actions);
    body.append(row);
    if (doc._proposal) {
      const note = el("tr", {class: "proposal-note"}, el("td", {}), el("td", {colspan: "7"},
        `OCR 建议，置信度 ${doc._proposal.confidence.toFixed(2)}：${doc._proposal.evidence}。请对照扫描件核对，改正后点“确认”（确认后才保存）。`));
      body.append(note);
    }
  });
}

function body() {
  const copy = JSON.parse(JSON.stringify(state.case));
  // a row still without a title, or an OCR proposal not yet confirmed, is not saved yet
  copy.documents = papers().filter(d => d.title && String(d.title).trim() && !d._proposal);
  return copy;
}

function save() {
  if (stale || !state.case) return saving;
  saving = saving.then(async () => {
    document.getElementById("save-state").textContent = "正在保存…";
    const response = await fetch(api, {
      method: "PUT",
      headers: {"Content-Type": "application/json", "If-Match": etag},
      body: JSON.stringify(body()),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 409) {
      stale = true;
      document.getElementById("save-state").textContent = "没有保存";
      banner("另一位同事（或手工编辑）在您打开页面之后修改了这个案卷，<b>您刚才的修改没有保存</b>，以免覆盖对方的修改。" +
        "请记下您的修改，<a href=\"\">重新载入</a>页面后再填上。", "error");
      return;
    }
    if (!response.ok) {
      const messages = (answer.findings || []).map(f => f.message).join("；") || ("保存失败（" + response.status + "）");
      document.getElementById("save-state").textContent = "没有保存";
      banner(escapeHtml(messages), "error");
      return;
    }
    etag = answer.etag || response.headers.get("ETag") || etag;
    banner("");
    const saveState = document.getElementById("save-state");
    saveState.textContent = "已保存 " + new Date().toLocaleTimeString("zh-CN");
    saveState.dataset.saves = String(Number(saveState.dataset.saves || 0) + 1);
    await refreshPanels();
  }).catch(err => banner("无法连接服务器：" + escapeHtml(String(err)), "error"));
  return saving;
}

function escapeHtml(text) {
  return text.replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]));
}

async function refreshPanels() {
  const response = await fetch("/cases/" + encodeURIComponent(caseId) + "/panels");
  if (response.ok) document.getElementById("panels").innerHTML = await response.text();
  markFindings();
}

function markFindings() {
  document.querySelectorAll("#papers input.bad").forEach(i => { i.classList.remove("bad", "warn"); i.removeAttribute("title"); });
  document.querySelectorAll("#findings li[data-path]:not([data-code=PAPER_MISSING])").forEach(li => {
    const m = /^documents\[(\d+)\](?:\.(\w+))?/.exec(li.dataset.path);
    if (!m) return;
    const row = document.querySelector(`#papers tr[data-index="${m[1]}"]`);
    if (!row) return;
    const input = row.querySelector(`input[data-field="${m[2] || "title"}"]`) || row.querySelector("input[data-field=title]");
    if (!input) return;
    input.classList.add("bad");
    if (li.classList.contains("warning")) input.classList.add("warn");
    input.title = li.textContent.trim();
  });
}

async function uploadFor(doc, input) {
  if (!input.files.length) return;
  const form = new FormData();
  form.append("file", input.files[0]);
  const response = await fetch(api + "/files", {method: "POST", body: form});
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    banner(escapeHtml((answer.findings || []).map(f => f.message).join("；") || "上传失败"), "error");
    return;
  }
  doc.file = answer.file;
  renderTable();
  await save();
}

async function build(draft) {
  const progress = document.getElementById("progress");
  const bar = progress.querySelector("progress");
  const message = progress.querySelector(".message");
  const result = document.getElementById("build-result");
  progress.hidden = false;
  bar.value = 2;
  message.textContent = "开始装订…";
  document.querySelectorAll("#build button").forEach(b => { b.disabled = true; });
  const poll = setInterval(async () => {
    const r = await fetch(api + "/progress");
    if (r.ok) { const p = await r.json(); if (p.running) { bar.value = p.percent; message.textContent = p.message; } }
  }, 400);
  try {
    await saving;
    const response = await fetch(api + "/build" + (draft ? "?draft=true" : ""), {method: "POST"});
    const answer = await response.json().catch(() => ({}));
    bar.value = 100;
    if (!answer.ok) {
      message.textContent = "装订失败";
      const items = (answer.findings || []).map(f => `<li class="finding ${f.severity}">${escapeHtml(f.message)}</li>`).join("");
      result.innerHTML = `<p class="bad">${escapeHtml(answer.message || "案卷有错误，不能装订（可以先装订草稿）：")}</p><ul class="findings">${items}</ul>`;
      return;
    }
    message.textContent = `装订完成：${answer.pages} 页，用时 ${answer.seconds} 秒`;
    const stamp = Date.now();
    const links = answer.files.map(f => `<li><a href="${api}/files/${encodeURIComponent(f)}">${escapeHtml(f)}</a></li>`).join("");
    const pdfs = answer.files.filter(f => f.endsWith(".pdf"));
    const previews = pdfs.map(f => [1, 2, 3, 4].map(p =>
      `<a href="${api}/files/${encodeURIComponent(f)}#page=${p}"><img loading="lazy" alt="${escapeHtml(f)} 第 ${p} 页" src="${api}/previews/${encodeURIComponent(f)}/${p}.png?t=${stamp}" onerror="this.parentNode.remove()"></a>`).join("")).join("");
    result.innerHTML = `<ul class="files">${links}</ul><div class="previews">${previews}</div>`;
  } catch (err) {
    message.textContent = "无法连接服务器：" + err;
  } finally {
    clearInterval(poll);
    document.querySelectorAll("#build button").forEach(b => { b.disabled = false; });
  }
}

async function addScan(input) {
  if (!input.files.length) return;
  const status = document.getElementById("scan-state");
  status.textContent = "正在识别扫描件…";
  const form = new FormData();
  form.append("file", input.files[0]);
  const response = await fetch(api + "/proposals", {method: "POST", body: form});
  const answer = await response.json().catch(() => ({}));
  input.value = "";
  if (!response.ok) {
    status.textContent = "";
    banner(escapeHtml((answer.findings || []).map(f => f.message).join("；") || "上传失败"), "error");
    return;
  }
  const p = answer.proposal;
  const doc = {title: ""};
  if (p) {
    for (const key of ["title", "round", "date", "application_date", "number"]) if (p[key] !== null && p[key] !== undefined) doc[key] = p[key];
    const names = {title: "名称", date: "日期", number: "文号", application_date: "申请日期"};
    const read = Object.entries(p.evidence || {}).filter(([, c]) => c.text).map(([k, c]) => `${names[k] || k}读自“${c.text}”`).join("；");
    doc._proposal = {confidence: p.confidence || 0, evidence: read};
    status.textContent = "";
  } else {
    status.textContent = answer.message || "没有认出，请手工填写。";
  }
  doc.file = answer.file;
  papers().push(doc);
  renderTable();
}

document.querySelector("#add-scan input").addEventListener("change", e => addScan(e.target));
document.getElementById("add-paper").addEventListener("click", () => {
  papers().push({title: ""});
  renderTable();
  const rows = document.querySelectorAll("#papers tbody tr");
  rows[rows.length - 1].querySelector("input[data-field=title]").focus();
});
document.getElementById("build-final").addEventListener("click", () => build(false));
document.getElementById("build-draft").addEventListener("click", () => build(true));
renderTable();
markFindings();
