// The web app's file pages' script, served from the server's own origin
// (the content security policy allows no inline script). The pages work
// without it except for uploading; it adds uploads (button, folder, drag
// and drop) with progress, cancel and retries, and "select all".
//
// Uploads use the REST API's multi-part flow, the one Files.com's SDKs
// use: begin_upload hands out presigned part URIs, each part is PUT to
// its URI, and POST /files/{path} with action=end puts the file in place
// once every part has arrived. Nothing is visible under the file's name
// before that. A part that fails (a dropped connection, a server
// restarting) is sent again after a growing pause, and waits for the
// browser to be online again, so a long upload survives a network
// hiccup. The browser session authenticates the REST calls; the CSRF
// token from the page's meta tag goes in X-CSRF-Token.
"use strict";

const selectAll = document.getElementById("select-all");
if (selectAll) {
  selectAll.addEventListener("change", () => {
    for (const box of document.querySelectorAll('#entries input[name="sel"]')) box.checked = selectAll.checked;
  });
}

const upload = document.getElementById("upload");
if (upload) setUpUploads(upload);

function setUpUploads(section) {
  const api = "/api/rest/v1";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const folder = section.dataset.folder.replace(/\/+$/, "");
  const partSize = Number(section.dataset.partSize) || 16 * 1024 * 1024;
  const maxTries = 10;
  // Two files at a time, three parts of each in flight: six requests,
  // the most a browser opens to one host over HTTP/1.1.
  const parallelFiles = 2;
  const partsInFlight = 3;
  const list = document.getElementById("transfer-list");
  const overall = document.getElementById("overall");
  const overallText = document.getElementById("overall-text");
  const queue = [];
  const all = [];
  let running = 0;

  const encodePath = (p) => p.split("/").filter((s) => s !== "").map(encodeURIComponent).join("/");

  const human = (n) => {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n) + " " + units[i];
  };

  function refreshOverall() {
    const total = all.reduce((s, t) => s + (t.cancelled ? 0 : t.file.size), 0);
    const sent = all.reduce((s, t) => s + (t.cancelled ? 0 : t.sent), 0);
    overall.max = Math.max(total, 1);
    overall.value = sent;
    const done = all.filter((t) => t.state === "done").length;
    const failed = all.filter((t) => t.state === "failed").length;
    overallText.textContent = `${done} of ${all.length} done, ${human(sent)} of ${human(total)}` + (failed ? `, ${failed} failed` : "");
  }

  // apiCall sends one JSON request of the REST API and answers its JSON,
  // or throws an Error with the API's message and the HTTP status.
  async function apiCall(path, body, signal) {
    const res = await fetch(api + path, {
      method: "POST", credentials: "same-origin", signal,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const err = new Error(data.error || `the server answered ${res.status}`);
      err.status = res.status;
      throw err;
    }
    return data;
  }

  // putPart sends one part with progress; it resolves on 2xx and rejects
  // with the status (0 for a network failure).
  function putPart(t, uri, blob, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      t.xhrs.add(xhr);
      xhr.onloadend = () => t.xhrs.delete(xhr);
      xhr.open("PUT", uri);
      xhr.upload.onprogress = (ev) => onProgress(ev.loaded);
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve();
        let answer = {};
        try { answer = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
        const err = new Error(answer.error || `the server answered ${xhr.status}`);
        err.status = xhr.status;
        err.type = answer.type || "";
        reject(err);
      };
      xhr.onerror = () => { const e = new Error("the connection dropped"); e.status = 0; reject(e); };
      xhr.onabort = () => { const e = new Error("cancelled"); e.cancelled = true; reject(e); };
      xhr.send(blob);
    });
  }

  // retryable says whether a failure may pass by itself: no answer, or the
  // server busy or restarting. Any other refusal (the user's rights
  // gone, say) is shown at once.
  const retryable = (err) => !err.cancelled && (err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500);
  // expired says the part's URI outlived its lifetime while the part
  // waited; a new one is asked for and the part sent at once.
  const expired = (err) => err.type === "upload_request_expired";

  const pause = (ms, t) => new Promise((resolve) => {
    const wake = () => { window.removeEventListener("online", wake); clearTimeout(timer); resolve(); };
    const timer = setTimeout(wake, ms);
    if (!navigator.onLine) window.addEventListener("online", wake);
    t.wake = wake;
  });

  async function send(t) {
    const path = encodePath(t.path);
    const parts = Math.max(1, Math.ceil(t.file.size / partSize));
    const uris = new Map();
    let ref = "";
    let asking = null;
    const ask = async (first) => {
      const body = { size: t.file.size, part: first, parts: Math.min(100, parts - first + 1), mkdir_parents: true };
      if (ref) body.ref = ref;
      const got = await apiCall(`/file_actions/begin_upload/${path}`, body, t.abort.signal);
      for (const p of got) uris.set(p.part_number, p.upload_uri);
      ref = got[0].ref;
    };
    // uriFor asks for the URIs of part n and the next ones, once for all
    // the parts in flight that need them.
    const uriFor = async (n) => {
      while (!uris.has(n)) {
        if (!asking) asking = ask(n).finally(() => { asking = null; });
        await asking;
      }
      return uris.get(n);
    };
    await uriFor(1);
    const inFlight = new Map();
    let doneBytes = 0;
    const progress = () => {
      let sending = 0;
      for (const v of inFlight.values()) sending += v;
      t.sent = doneBytes + sending;
      draw(t);
    };
    let nextPart = 1;
    let broken = false;
    const worker = async () => {
      while (!broken && nextPart <= parts) {
        const n = nextPart++;
        const blob = t.file.slice((n - 1) * partSize, Math.min(n * partSize, t.file.size));
        for (let attempt = 1; ; attempt++) {
          if (t.cancelled) throw Object.assign(new Error("cancelled"), { cancelled: true });
          try {
            // The part goes to this page's own origin (the URI names the
            // server's base URL, which a site on its own host name, or a
            // proxy's name, need not be; the content security policy lets
            // the page reach its own origin only). part_offset tells the
            // server where the part goes, so a part that arrives before the
            // one ahead of it is written in place too, not staged and
            // copied at the end.
            const signed = new URL(await uriFor(n), location.href);
            const uri = `${signed.pathname}${signed.search}&part_offset=${(n - 1) * partSize}`;
            inFlight.set(n, 0);
            await putPart(t, uri, blob, (loaded) => { inFlight.set(n, loaded); progress(); });
            break;
          } catch (err) {
            inFlight.delete(n);
            progress();
            if (expired(err) && attempt < maxTries) {
              uris.delete(n);
              continue;
            }
            if (!retryable(err) || attempt >= maxTries) {
              broken = true;
              throw err;
            }
            t.state = "retrying";
            draw(t, `connection lost; trying again (${attempt} of ${maxTries - 1})`);
            await pause(Math.min(30000, 1000 * 2 ** (attempt - 1)), t);
            t.state = "sending";
          }
        }
        inFlight.delete(n);
        uris.delete(n);
        doneBytes += blob.size;
        progress();
      }
    };
    const workers = [];
    for (let i = 0; i < Math.min(partsInFlight, parts); i++) workers.push(worker());
    // Every worker is awaited, so that one failing stops the others at
    // their next part instead of leaving them sending.
    const results = await Promise.allSettled(workers);
    const failed = results.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    const end = { action: "end", ref, size: t.file.size, mkdir_parents: true };
    if (t.file.lastModified) end.provided_mtime = new Date(t.file.lastModified).toISOString();
    await apiCall(`/files/${path}`, end, t.abort.signal);
  }

  function draw(t, note) {
    t.bar.max = Math.max(t.file.size, 1);
    t.bar.value = t.state === "done" ? t.bar.max : t.sent;
    const words = { waiting: "waiting", sending: `${Math.floor((100 * t.sent) / Math.max(t.file.size, 1))} %`, retrying: "retrying",
      done: "done", failed: "failed", cancelled: "cancelled" };
    t.stateEl.textContent = note || words[t.state];
    t.row.className = t.state;
    t.cancel.hidden = !["waiting", "sending", "retrying"].includes(t.state);
    refreshOverall();
  }

  async function run(t) {
    running++;
    t.state = "sending";
    draw(t);
    try {
      await send(t);
      t.state = "done";
      draw(t);
    } catch (err) {
      t.state = t.cancelled ? "cancelled" : "failed";
      draw(t, t.cancelled ? undefined : `failed: ${err.message}`);
    }
    running--;
    next();
  }

  function next() {
    while (running < parallelFiles && queue.length) run(queue.shift());
    if (!running && !queue.length && all.length) finished();
  }

  function finished() {
    const failed = all.some((t) => t.state === "failed");
    if (!failed && all.some((t) => t.state === "done")) {
      overallText.textContent += ". Showing the folder again…";
      setTimeout(() => location.reload(), 600);
    }
  }

  function add(file, rel) {
    document.getElementById("transfers").hidden = false;
    const row = document.createElement("li");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = rel;
    const bar = document.createElement("progress");
    bar.setAttribute("aria-label", `Upload of ${rel}`);
    const stateEl = document.createElement("span");
    stateEl.className = "state";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "secondary";
    cancel.textContent = "Cancel";
    cancel.setAttribute("aria-label", `Cancel the upload of ${rel}`);
    row.append(name, bar, stateEl, cancel);
    list.append(row);
    const t = { file, path: `${folder}/${rel}`, sent: 0, state: "waiting", row, bar, stateEl, cancel, abort: new AbortController(), xhrs: new Set() };
    cancel.addEventListener("click", () => stop(t));
    all.push(t);
    queue.push(t);
    draw(t);
  }

  function stop(t) {
    if (!["waiting", "sending", "retrying"].includes(t.state)) return;
    t.cancelled = true;
    t.abort.abort();
    for (const xhr of t.xhrs) xhr.abort();
    if (t.wake) t.wake();
    const i = queue.indexOf(t);
    if (i >= 0) {
      queue.splice(i, 1);
      t.state = "cancelled";
      draw(t);
      next();
    }
  }

  document.getElementById("cancel-all").addEventListener("click", () => { for (const t of all) stop(t); });

  const addFiles = (files) => {
    for (const f of files) add(f, f.webkitRelativePath || f.name);
    next();
  };
  document.getElementById("pick-files").addEventListener("change", (ev) => { addFiles(ev.target.files); ev.target.value = ""; });
  document.getElementById("pick-folder").addEventListener("change", (ev) => { addFiles(ev.target.files); ev.target.value = ""; });

  // Dropped folders are walked with the entries API; files keep their
  // path inside the dropped folder.
  const readEntries = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
  async function walk(entry, prefix, out) {
    if (entry.isFile) {
      out.push([await fileOf(entry), prefix + entry.name]);
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await readEntries(reader);
      if (!batch.length) break;
      for (const e of batch) await walk(e, `${prefix}${entry.name}/`, out);
    }
  }
  const zone = document.getElementById("dropzone");
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", async (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    const entries = [...ev.dataTransfer.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
    if (!entries.length) {
      addFiles(ev.dataTransfer.files);
      return;
    }
    const out = [];
    for (const e of entries) await walk(e, "", out);
    for (const [f, rel] of out) add(f, rel);
    next();
  });
}
