// The case page: every field of the case file, each input carrying data-path (its dot path in the
// case file); each change is saved through the API with If-Match, and the panels (findings, dates,
// next step, timeline) are read again from the server. Findings are shown next to their boxes.
"use strict";

const state = JSON.parse(document.getElementById("state").textContent);
let caseId = decodeURIComponent(location.pathname.split("/")[2]);
let api = "/api/cases/" + encodeURIComponent(caseId);
let etag = state.etag;
let saving = Promise.resolve();
let stale = false;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;"}[c]));
}

function banner(html, kind) {
  const b = document.getElementById("banner");
  b.innerHTML = html;
  b.className = "banner " + (kind || "error");
  b.hidden = !html;
}

// ---- values at dot paths -------------------------------------------------------------------

function getPath(obj, path) {
  let node = obj;
  for (const part of path.split(".")) {
    if (node === undefined || node === null) return undefined;
    node = node[/^\d+$/.test(part) && Array.isArray(node) ? Number(part) : part];
  }
  return node;
}

function setPath(obj, path, value) {
  const parts = path.split(".");
  const chain = [obj];
  let node = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = Array.isArray(node) ? Number(parts[i]) : parts[i];
    if (node[key] === undefined || node[key] === null || typeof node[key] !== "object") {
      if (value === undefined) return;
      node[key] = /^\d+$/.test(parts[i + 1]) ? [] : {};
    }
    node = node[key];
    chain.push(node);
  }
  const last = parts[parts.length - 1];
  if (value === undefined) delete node[last]; else node[last] = value;
  // a record left empty goes too (an empty 经办人 is not a 经办人); list rows stay
  for (let i = chain.length - 1; i > 0; i--) {
    const here = chain[i];
    if (Array.isArray(here) || Object.keys(here).length) break;
    const parent = chain[i - 1];
    if (Array.isArray(parent)) break;
    delete parent[parts[i - 1]];
  }
}

function readInput(input) {
  const raw = String(input.value || "").trim();
  if (raw === "") return undefined;
  switch (input.dataset.input) {
    case "yesno": return raw === "true";
    case "choice": return /^\d+$/.test(raw) ? Number(raw) : raw;
    case "number": { const n = Number(raw.replace(/[，,]/g, "")); return Number.isFinite(n) ? n : raw; }
    case "integer": return /^\d+$/.test(raw) ? parseInt(raw, 10) : raw;
    default: return raw;
  }
}

function showValue(input, value) {
  if (input.tagName === "SELECT") input.value = value === undefined || value === null ? "" : String(value);
  else input.value = value === undefined || value === null ? "" : String(value);
}

// ---- list rows: 用电设备 and 资料 -----------------------------------------------------------

function listOf(name) {
  if (!state.case) return [];
  if (!Array.isArray(state.case[name])) state.case[name] = [];
  return state.case[name];
}

function fieldFor(path, col) {
  let input;
  if (col.input === "yesno" || col.input === "choice") {
    input = el("select", {"data-path": path, "data-input": col.input, "aria-label": col.label},
      el("option", {value: ""}, "未填"),
      ...(col.input === "yesno" ? [["true", "是"], ["false", "否"]] : col.choices.map(c => [c, c])).map(([v, t]) => el("option", {value: v}, t)));
  } else {
    input = el("input", {type: "text", "data-path": path, "data-input": col.input, "aria-label": col.label,
      inputmode: col.input === "number" || col.input === "integer" ? "decimal" : undefined,
      placeholder: col.input === "date" ? "年-月-日" : undefined});
  }
  showValue(input, getPath(state.case, path));
  const box = el("span", {class: "box"}, input);
  if (col.unit) box.append(el("span", {class: "unit"}, col.unit));
  return el("label", {class: "field f-" + col.input + " c-" + col.name, "data-field-for": path},
    el("span", {class: "label"}, col.short + (col.required ? " *" : "")), box);
}

function isOneOf(title, names) {
  const t = String(title || "").replace(/\s/g, "");
  return names.some(n => n.replace(/\s/g, "") === t);
}

function renderList(name) {
  const holder = document.querySelector(`.rows[data-list="${name}"]`);
  if (!holder) return;
  const cols = name === "documents" ? state.papers : state.tables[name];
  holder.replaceChildren();
  listOf(name).forEach((item, i) => {
    const row = el("div", {class: "row" + (item._proposal ? " proposed" : ""), "data-index": String(i), role: "group",
      "aria-label": (name === "documents" ? "资料" : "用电设备") + "第 " + (i + 1) + " 行"});
    row.append(el("span", {class: "seq"}, String(i + 1)));
    for (const col of cols) {
      if (name === "documents" && col.name === "application_date" && !isOneOf(item.title, state.replies)) continue;
      if (name === "documents" && col.name === "round" && !isOneOf(item.title, state.rounds)) continue;
      const field = fieldFor(`${name}.${i}.${col.name}`, col);
      if (name === "documents" && col.name === "title") field.querySelector("input").setAttribute("list", "titles");
      row.append(field);
      if (name === "documents" && col.name === "file") row.append(fileTools(item, i));
    }
    const actions = el("span", {class: "actions"});
    if (item._proposal) {
      actions.append(el("button", {type: "button", class: "confirm", title: "已对照扫描件核对", onclick: () => {
        delete item._proposal; renderList(name); save();
      }}, "确认"));
    }
    actions.append(el("button", {type: "button", class: "light remove", "aria-label": `删去第 ${i + 1} 行`, onclick: () => {
      const what = item.title || item.name || "";
      if (confirm("删去第 " + (i + 1) + " 行“" + what + "”？")) { listOf(name).splice(i, 1); renderList(name); save(); }
    }}, "删去"));
    row.append(actions);
    if (item._proposal) row.append(el("p", {class: "proposal-note"},
      `OCR 建议，置信度 ${item._proposal.confidence.toFixed(2)}：${item._proposal.evidence}。请对照右边的扫描件核对，改正后点“确认”（确认后才保存）。`,
      item.file ? el("a", {href: "#", class: "open-scan", onclick: e => { e.preventDefault(); openScanBeside(item.file); }}, "看扫描件") : ""));
    holder.append(row);
  });
  if (name === "equipment") equipmentRule();
  markFindings();
}

function fileUrl(i) { return `${api}/documents/${i}/file`; }

function fileTools(item, i) {
  const tools = el("span", {class: "file-tools"});
  // a real button (Enter and Space both open the chooser) in front of a hidden file box
  const upload = el("input", {type: "file", accept: ".pdf,.jpg,.jpeg,.png,.tif,.tiff,.docx,.doc", hidden: "", tabindex: "-1"});
  upload.addEventListener("change", () => uploadFor(item, upload));
  const button = el("button", {type: "button", class: "upload link", "data-action": "upload", "aria-label": `为第 ${i + 1} 行上传扫描件`}, "上传…");
  button.addEventListener("click", () => upload.click());
  tools.append(button, upload);
  if (item.file && !item._proposal) {
    // a thumbnail: the image itself, a PDF's first page, else (no picture to show) the word 打开
    const image = /\.(png|jpe?g|gif|bmp|webp)$/i.test(item.file);
    const pdf = /\.pdf$/i.test(item.file);
    const link = el("a", {href: fileUrl(i), target: "_blank", rel: "noopener", class: "open-file", "aria-label": `打开第 ${i + 1} 行的文件`},
      image || pdf ? el("img", {class: "thumb", src: image ? fileUrl(i) : `${api}/documents/${i}/thumb.png`, alt: `第 ${i + 1} 行的扫描件`, loading: "lazy",
        onerror: e => e.target.replaceWith("📄 打开")}) : "📄 打开");
    tools.append(link);
  }
  return tools;
}

function equipmentRule() {
  // which paper the 100-kW rule asks for, and why, from what is on the page now
  const hint = document.getElementById("equipment-rule");
  if (!hint || !state.case) return;
  const stated = state.case.large_equipment;
  const big = listOf("equipment").filter(e => Number(e.power_kw) > 100);
  const large = stated === true || stated === false ? stated : big.length > 0;
  const why = stated === true || stated === false ? "依据：上面“是否有超过 100 kW 的设备”填的是“" + (stated ? "是" : "否") + "”。"
    : big.length ? "依据：设备表中 " + big.map(e => `${e.name || "（未填名称）"} ${e.power_kw} kW`).join("、") + " 超过 100 kW。"
    : "依据：设备表中没有超过 100 kW 的设备" + (listOf("equipment").length ? "" : "（还没有填设备；有大设备请先填上）") + "。";
  hint.innerHTML = (large ? "有超过 100 kW 的设备：“送做保护定值”要带<b>启动设备清单</b>（客户盖章）。"
    : "没有超过 100 kW 的设备：“送做保护定值”要带客户开具的<b>证明</b>。") + escapeHtml(why);
  hint.dataset.paper = large ? "启动设备清单" : "证明";
}

// ---- saving ---------------------------------------------------------------------------------

function body() {
  const copy = JSON.parse(JSON.stringify(state.case));
  // a paper row still without a title, or an OCR proposal not yet confirmed, is not saved yet
  copy.documents = listOf("documents").filter(d => d.title && String(d.title).trim() && !d._proposal);
  if (Array.isArray(copy.equipment)) copy.equipment = copy.equipment.filter(e => Object.keys(e).length);
  return copy;
}

function save() {
  if (stale || !state.case) return saving;
  saving = saving.then(async () => {
    const saveState = document.getElementById("save-state");
    saveState.textContent = "正在保存…";
    const sent = body();
    const response = await fetch(api, {method: "PUT", headers: {"Content-Type": "application/json", "If-Match": etag}, body: JSON.stringify(sent)});
    const answer = await response.json().catch(() => ({}));
    if (response.status === 409) {
      stale = true;
      saveState.textContent = "没有保存";
      banner("另一位同事（或手工编辑）在您打开页面之后修改了这个案卷，<b>您刚才的修改没有保存</b>，以免覆盖对方的修改。" +
        "请记下您的修改，<a href=\"\">重新载入</a>页面后再填上。", "error");
      return;
    }
    if (!response.ok) {
      const messages = (answer.findings || []).map(f => f.message).join("；") || ("保存失败（" + response.status + "）");
      saveState.textContent = "没有保存";
      banner(escapeHtml(messages), "error");
      return;
    }
    etag = answer.etag || response.headers.get("ETag") || etag;
    banner("");
    saveState.textContent = "已保存 " + new Date().toLocaleTimeString("zh-CN");
    saveState.dataset.saves = String(Number(saveState.dataset.saves || 0) + 1);
    if (sent.case_id && sent.case_id !== caseId) {  // 案卷编号 changed: the page follows it (the folder keeps its name)
      caseId = sent.case_id;
      api = "/api/cases/" + encodeURIComponent(caseId);
      history.replaceState(null, "", "/cases/" + encodeURIComponent(caseId));
    }
    await reloadDates();
    await refreshPanels();
    await loadHistory();
  }).catch(err => banner("无法连接服务器：" + escapeHtml(String(err)), "error"));
  return saving;
}

async function reloadDates() {
  // dates typed as 2023年3月1号 or 2023－3－1 come back as 2023-03-01: show what was saved
  const response = await fetch(api);
  if (!response.ok) return;
  const saved = await response.json();
  document.querySelectorAll("[data-input=date][data-path]").forEach(input => {
    const value = getPath(saved, input.dataset.path);
    if (typeof value === "string" && value !== input.value) { input.value = value; setPath(state.case, input.dataset.path, value); }
  });
}

async function refreshPanels() {
  const response = await fetch("/cases/" + encodeURIComponent(caseId) + "/panels");
  if (response.ok) document.getElementById("panels").innerHTML = await response.text();
  markFindings();
}

// ---- findings next to their boxes ----------------------------------------------------------

function inputAt(path) {
  const boxes = "input[data-path], select[data-path]";
  const exact = [...document.querySelectorAll(boxes)].find(e => e.dataset.path === path);
  return exact || [...document.querySelectorAll(boxes)].find(e => e.dataset.path.startsWith(path + "."));
}

function markFindings() {
  document.querySelectorAll(".field-note").forEach(n => n.remove());
  document.querySelectorAll("[data-path].bad").forEach(i => i.classList.remove("bad", "warn"));
  document.querySelectorAll("#panels li.finding[data-finding-path]").forEach(li => {
    const at = li.dataset.findingPath;
    if (!at || at === "documents") return;
    const paths = li.dataset.fields ? li.dataset.fields.split(" ") : [at];
    const message = li.dataset.note || (li.querySelector(".message") || li).textContent.trim();
    for (const path of paths) {
      const input = inputAt(path);
      if (!input) continue;
      input.classList.add("bad");
      if (!li.classList.contains("error")) input.classList.add("warn");
      const field = input.closest(".field");
      if (field) field.append(el("span", {class: "field-note " + (li.classList.contains("error") ? "error" : "warning"), role: "note"}, message));
    }
  });
}

document.addEventListener("click", e => {
  const link = e.target.closest("a[data-goto]");
  if (!link) return;
  e.preventDefault();
  const input = inputAt(link.dataset.goto);
  if (input) { input.scrollIntoView({block: "center"}); input.focus(); }
});

// ---- uploads and OCR -------------------------------------------------------------------------

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
  renderList("documents");
  await save();
}

function openScanBeside(file) {
  const rows = listOf("documents");
  let viewer = document.getElementById("scan-viewer");
  if (!viewer) {
    const close = el("button", {type: "button", class: "light", "aria-label": "关闭扫描件"}, "关闭");
    close.addEventListener("click", () => viewer.remove());
    viewer = el("section", {class: "card", id: "scan-viewer"}, el("h2", {}, "扫描件 ", close), el("iframe", {title: "扫描件"}));
    document.getElementById("scan-holder").append(viewer);  // outside #panels, which each save redraws
  }
  viewer.querySelector("iframe").src = api + "/scans/" + encodeURIComponent(String(file).split("/").pop());
  return rows;
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
  if (answer.duplicate_of !== null && answer.duplicate_of !== undefined) {
    status.textContent = `这份扫描件已在案卷中（资料第 ${answer.duplicate_of + 1} 行），没有再添加。`;
    status.dataset.duplicateOf = String(answer.duplicate_of);
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
  listOf("documents").push(doc);
  renderList("documents");
  if (doc._proposal) openScanBeside(doc.file);
}

// ---- building -----------------------------------------------------------------------------

// serve --queue: the build is a task on a worker; its state (and at the end its answer) comes with the progress
async function queued() {
  for (;;) {
    await new Promise(done => setTimeout(done, 700));
    const r = await fetch(api + "/progress");
    if (!r.ok) continue;
    const p = await r.json();
    if (p.answer) return p.answer;
  }
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
    let answer = await response.json().catch(() => ({}));
    if (response.status === 202) answer = await queued();  // serve --queue: a worker builds it
    bar.value = 100;
    if (!answer.ok) {
      message.textContent = "装订失败";
      const items = (answer.findings || []).map(f => `<li class="finding ${f.severity}">${escapeHtml(f.label ? f.label + "：" + f.message : f.message)}</li>`).join("");
      result.innerHTML = `<p class="bad">${escapeHtml(answer.message || "案卷有错误或还缺资料，不能装订正式案卷（可以先装订草稿）：")}</p><ul class="findings">${items}</ul>`;
      return;
    }
    message.textContent = `装订完成：${answer.pages} 页，用时 ${answer.seconds} 秒`;
    const blanks = (answer.findings || []).filter(f => f.code === "FORM_FIELD_BLANK");
    const note = blanks.length ? `<p class="warn">已装订，但表单上有空栏：${blanks.map(f => escapeHtml(f.message)).join("；")}</p>` : "";
    document.getElementById("last-build").textContent = `上次装订：刚才，${draft ? "草稿" : "正式案卷"}；之后案卷没有改过`;
    const stamp = Date.now();
    const links = answer.files.map(f => `<li><a href="${api}/files/${encodeURIComponent(f)}">${escapeHtml(f)}</a></li>`).join("");
    const pdfs = answer.files.filter(f => f.endsWith(".pdf"));
    const previews = pdfs.map(f => [1, 2, 3, 4].map(p =>
      `<a href="${api}/files/${encodeURIComponent(f)}#page=${p}"><img loading="lazy" alt="${escapeHtml(f)} 第 ${p} 页" src="${api}/previews/${encodeURIComponent(f)}/${p}.png?t=${stamp}" onerror="this.parentNode.remove()"></a>`).join("")).join("");
    result.innerHTML = `${note}<ul class="files">${links}</ul><div class="previews">${previews}</div>`;
  } catch (err) {
    message.textContent = "无法连接服务器：" + err;
  } finally {
    clearInterval(poll);
    document.querySelectorAll("#build button").forEach(b => { b.disabled = false; });
  }
}

// ---- the case file's text, to repair it --------------------------------------------------------

let sourceTag = "";

async function loadSource() {
  const response = await fetch(api + "/source");
  if (!response.ok) return;
  sourceTag = response.headers.get("ETag") || "";
  document.getElementById("source").value = await response.text();
}

async function saveSource() {
  const box = document.getElementById("source");
  const shown = document.getElementById("source-error");
  const response = await fetch(api + "/source", {method: "PUT", headers: {"Content-Type": "text/plain; charset=utf-8", "If-Match": sourceTag}, body: box.value});
  const answer = await response.json().catch(() => ({}));
  if (response.ok) { location.reload(); return; }
  const first = (answer.findings || [])[0] || {};
  shown.hidden = false;
  shown.textContent = (first.line ? `第 ${first.line} 行：` : "") + (first.message || ("没有保存（" + response.status + "）"));
  if (first.line) markLine(box, first.line);
}

function markLine(box, line) {
  const lines = box.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  box.focus();
  box.setSelectionRange(start, start + (lines[line - 1] || "").length);
  box.scrollTop = Math.max(0, (line - 3) * parseFloat(getComputedStyle(box).lineHeight || "18"));
}

// ---- wiring -----------------------------------------------------------------------------------

document.addEventListener("change", e => {
  const input = e.target.closest("[data-path]");
  if (!input || !state.case) return;
  const path = input.dataset.path;
  setPath(state.case, path, readInput(input));
  if (path === "large_equipment" || path.startsWith("equipment.")) equipmentRule();
  if (/^documents\.\d+\.title$/.test(path)) renderList("documents");  // 申请日期 / 轮次 follow the title
  const item = /^documents\.(\d+)\./.exec(path);
  if (item && listOf("documents")[Number(item[1])]._proposal) return;  // saved once confirmed
  save();
});

for (const button of document.querySelectorAll(".add-row")) {
  button.addEventListener("click", () => {
    listOf(button.dataset.list).push({});
    renderList(button.dataset.list);
    const rows = document.querySelectorAll(`.rows[data-list="${button.dataset.list}"] .row`);
    rows[rows.length - 1].querySelector("[data-path]").focus();
  });
}
const addPaper = document.getElementById("add-paper");
if (addPaper) addPaper.addEventListener("click", () => {
  listOf("documents").push({title: ""});
  renderList("documents");
  const rows = document.querySelectorAll("#papers .row");
  rows[rows.length - 1].querySelector("[data-path]").focus();
});
const scanButton = document.getElementById("add-scan");
const scanFile = document.getElementById("scan-file");
if (scanButton && scanFile) {
  scanButton.addEventListener("click", () => scanFile.click());
  scanFile.addEventListener("change", e => addScan(e.target));
}
// 修改记录: read when opened (and again after each save while open); a version is restored after a confirmation
async function loadHistory() {
  const details = document.getElementById("history-details");
  if (!details || !details.open) return;
  const response = await fetch("/cases/" + encodeURIComponent(caseId) + "/history");
  document.getElementById("history-list").innerHTML = response.ok ? await response.text()
    : `<p class="finding error">修改记录现在无法读取（${response.status}）</p>`;
}

async function restoreVersion(entry, when, label) {
  const target = label ? `${when} ${label}` : `${when} 那次修改之后`;
  if (!confirm(`把案卷恢复到 ${target}的样子？\n现在的内容不会丢：恢复本身也记在修改记录里，可以再恢复回来。`)) return;
  await saving;
  const response = await fetch(`${api}/history/${entry}/restore`, {method: "POST", headers: {"If-Match": etag}});
  const answer = await response.json().catch(() => ({}));
  if (response.status === 409) {
    banner("案卷在您打开页面之后被别人改过，没有恢复。请<a href=\"\">重新载入</a>页面后再试。", "error");
    return;
  }
  if (!response.ok) {
    banner(escapeHtml((answer.findings || []).map(f => f.message).join("；") || ("恢复失败（" + response.status + "）")), "error");
    return;
  }
  location.reload();
}

const historyDetails = document.getElementById("history-details");
if (historyDetails) {
  historyDetails.addEventListener("toggle", loadHistory);
  document.getElementById("history-list").addEventListener("click", e => {
    const button = e.target.closest("[data-restore]");
    if (!button) return;
    const when = button.closest("li").querySelector(".when").textContent;
    restoreVersion(button.dataset.restore, when, button.dataset.label);
  });
}
document.getElementById("build-final").addEventListener("click", () => build(false));
document.getElementById("build-draft").addEventListener("click", () => build(true));
document.getElementById("save-source").addEventListener("click", saveSource);
loadSource().then(() => {
  if (!state.case) {
    const line = Number((document.querySelector("#findings li[data-line]:not([data-line=''])") || {dataset: {}}).dataset.line || 0);
    if (line) markLine(document.getElementById("source"), line);
  }
});
if (state.case) { for (const name of Object.keys(state.tables)) renderList(name); renderList("documents"); equipmentRule(); }
markFindings();
