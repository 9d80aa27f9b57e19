// The paste-and-fix page: sends the paste to this server's /check and shows what comes back.
"use strict";

const el = (id) => document.getElementById(id);
let downloadUrl = null;

async function loadKinds() {
  const response = await fetch("/kinds");
  for (const kind of await response.json()) {
    const option = document.createElement("option");
    option.value = kind;
    option.textContent = kind;
    el("kind").appendChild(option);
  }
}

function showFindings(findings) {
  const list = el("findings");
  list.replaceChildren();
  for (const finding of findings) {
    const item = document.createElement("li");
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = finding.code;
    item.appendChild(code);
    item.appendChild(document.createTextNode(` line ${finding.line}: ${finding.message}`));
    list.appendChild(item);
  }
}

function offerDownload(filename, text) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  const link = el("download");
  link.href = downloadUrl;
  link.download = filename;
  link.hidden = false;
}

async function check() {
  el("status").textContent = "Checking…";
  el("status").className = "";
  const response = await fetch("/check", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: el("paste").value, kind: el("kind").value, unsafe_fixes: el("unsafe").checked }),
  });
  const result = await response.json();
  if (!response.ok) {
    el("status").textContent = result.error;
    el("status").className = "error";
    return;
  }
  showFindings(result.findings);
  el("diff").textContent = result.diff || "No fixes available.";
  el("patched").value = result.patched;
  offerDownload(result.filename, result.patched);
  const count = result.findings.length;
  el("status").textContent = `Checked as ${result.filename} (${result.kind}): ` +
    `${count} finding${count === 1 ? "" : "s"}.` + (result.errors ? ` ${result.errors}` : "");
  el("status").className = result.errors ? "error" : "";
  el("status").dataset.done = "yes";
}

el("check").addEventListener("click", check);
loadKinds();
