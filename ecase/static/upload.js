// Drag-and-drop upload for the Posteingang: one request per file, with progress and a
// status line each. Without this script the form still posts all chosen files at once.
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) {
    return;
  }
  var input = document.getElementById("files");
  var zone = document.getElementById("dropzone");
  var list = document.getElementById("upload-list");
  var summary = document.getElementById("upload-summary");
  var token = form.querySelector("input[name=csrf_token]").value;
  var msg = form.dataset;
  var PARALLEL = 2;
  var queue = [];
  var running = 0;
  var counts = { ok: 0, bad: 0, pending: 0 };

  function text(el, value) {
    el.textContent = value;
  }

  function row(file) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.className = "upload-name";
    text(name, file.name);
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    state.setAttribute("role", "status");
    text(state, msg.msgWaiting);
    li.appendChild(name);
    li.appendChild(bar);
    li.appendChild(state);
    list.appendChild(li);
    return { li: li, bar: bar, state: state };
  }

  function finish(item, ok, message, link) {
    item.bar.value = 100;
    item.li.className = ok ? "upload-ok" : "upload-bad";
    text(item.state, (ok ? msg.msgAccepted : msg.msgRejected) + ": " + message);
    if (link) {
      var a = document.createElement("a");
      a.href = link;
      text(a, msg.msgOpen);
      item.state.appendChild(document.createTextNode(" "));
      item.state.appendChild(a);
    }
    counts[ok ? "ok" : "bad"] += 1;
    counts.pending -= 1;
    running -= 1;
    if (counts.pending === 0) {
      text(summary, msg.msgDone.replace("{ok}", counts.ok).replace("{bad}", counts.bad));
    }
    next();
  }

  function answer(xhr) {
    var body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (e) {
      body = null;
    }
    if (body && typeof body.message === "string") {
      return body;
    }
    if (xhr.status === 413) {
      return { ok: false, message: msg.msgTooLarge };
    }
    return { ok: false, message: msg.msgFailed.replace("{code}", String(xhr.status)) };
  }

  function send(job) {
    running += 1;
    var xhr = new XMLHttpRequest();
    var data = new FormData();
    data.append("file", job.file, job.file.name);
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("X-Requested-With", "fetch");
    xhr.setRequestHeader("Accept", "application/json");
    text(job.item.state, msg.msgUploading);
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable) {
        job.item.bar.value = Math.round((event.loaded / event.total) * 99);
      }
    });
    xhr.addEventListener("load", function () {
      var body = answer(xhr);
      var ok = xhr.status >= 200 && xhr.status < 300 && body.ok !== false;
      finish(job.item, ok, body.message, ok ? body.url : null);
    });
    xhr.addEventListener("error", function () {
      finish(job.item, false, msg.msgNetwork, null);
    });
    xhr.send(data);
  }

  function next() {
    while (running < PARALLEL && queue.length) {
      send(queue.shift());
    }
  }

  function add(files) {
    if (counts.pending === 0) {
      text(summary, "");
    }
    for (var i = 0; i < files.length; i += 1) {
      queue.push({ file: files[i], item: row(files[i]) });
      counts.pending += 1;
    }
    next();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (input.files && input.files.length) {
      add(input.files);
      input.value = "";
    }
  });
  input.addEventListener("change", function () {
    if (input.files && input.files.length) {
      add(input.files);
      input.value = "";
    }
  });
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.remove("dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    if (event.dataTransfer && event.dataTransfer.files.length) {
      add(event.dataTransfer.files);
    }
  });
  // With the script the files go as soon as they are chosen; the button stays for keyboards.
  form.classList.add("enhanced");
})();
