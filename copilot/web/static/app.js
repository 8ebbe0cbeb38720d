// Agent console and queue behaviour. No external libraries.
(function () {
  // SLA countdowns: elements with data-deadline (ISO time) show the time left, red when overdue.
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.round((new Date(el.dataset.deadline) - new Date()) / 1000);
      var sign = left < 0 ? "已超时 " : "剩余 ";
      var s = Math.abs(left), m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
      // minutes for SLA timers; days and hours for report deadlines
      el.textContent = sign + (d >= 1 ? d + "天" + (h % 24) + "小时"
        : h >= 1 ? h + "小时" + (m % 60) + "分"
        : m + "分" + String(s % 60).padStart(2, "0") + "秒");
      el.classList.toggle("overdue", left < 0);
      var row = el.closest("tr");
      if (row) row.classList.toggle("overdue", left < 0);
    });
    // how long a case has waited (data-since, ISO time), on the same clock as its countdown
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var m = Math.max(0, Math.floor((new Date() - new Date(el.dataset.since)) / 60000));
      el.textContent = m >= 60 ? Math.floor(m / 60) + "小时" + (m % 60) + "分" : m + "分钟";
    });
  }
  tick();
  setInterval(tick, 1000);

  // Live desk: the server pushes the desk's state (server-sent events from /v1/desk/events)
  // whenever it changes. The page updates itself where nothing is being typed: the
  // conversation list, the queue, the open conversation's messages and its suggestion (only if
  // the draft is untouched; otherwise a banner offers to refresh, and a draft being edited is
  // never lost). A new emergency, or an unclaimed one past half its SLA, rings and shows a
  // desktop notification on pharmacists' pages once they switch alerts on (browsers need a click).
  var body = document.body, live = document.getElementById("live");
  var tierName = {emergency: "紧急", priority: "优先", routine: "常规"};
  var audio = null;

  function untouched(root) {
    if (!root) return true;
    if (root.contains(document.activeElement) && document.activeElement !== document.body) return false;
    var fields = root.querySelectorAll("textarea, input[type=text]");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].value !== fields[i].defaultValue) return false;
    }
    return true;
  }

  function swap(ids) {
    return fetch(window.location.href, {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return [];
        var fresh = new DOMParser().parseFromString(html, "text/html"), done = [];
        ids.forEach(function (id) {
          var old = document.getElementById(id), now = fresh.getElementById(id);
          if (old && now) { old.replaceWith(document.importNode(now, true)); done.push(id); }
        });
        if (done.indexOf("suggestion-col") >= 0) bindActForm();
        if (done.indexOf("case-actions") >= 0) { staleCase = false; bindCaseActions(); }
        tick();  // new SLA timers show their time at once
        return done;
      });
  }

  function ring() {
    if (!audio) return;
    try {
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.2;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + 0.6);
    } catch (e) {}
  }

  function notify(text, url) {
    ring();
    if (window.Notification && Notification.permission === "granted") {
      var n = new Notification("药房客服助手", {body: text, tag: url});
      n.onclick = function () { window.focus(); window.location = url; };
    }
  }

  if (body.dataset.eventsUrl && live) {
    var pharmacist = body.dataset.role !== "agent";
    var box = document.getElementById("messages");
    var conversation = box ? box.dataset.conversation : "";
    var lastMessage = box ? Number(box.dataset.lastMessage || 0) : 0;
    var first = null, prev = null, staleDraft = false, staleCase = false, baseTitle = document.title;
    var alertsButton = document.getElementById("alerts-on");
    if (alertsButton && pharmacist) {
      alertsButton.hidden = false;
      alertsButton.addEventListener("click", function () {
        audio = audio || new (window.AudioContext || window.webkitAudioContext)();
        audio.resume();
        if (window.Notification && Notification.permission === "default") Notification.requestPermission();
        alertsButton.textContent = "提醒已开启";
        alertsButton.disabled = true;
      });
    }

    var onPulse = function (p) {
      if (!first) first = p;
      var parts = [], urgent = false;
      if (p.latest_escalation_id && p.latest_escalation_id > (first.latest_escalation_id || 0)) {
        parts.push('<a href="/escalations/' + p.latest_escalation_id + '">新的转药师工单 #' +
          p.latest_escalation_id + "（" + (tierName[p.latest_escalation_tier] || "") + "）</a>");
        urgent = urgent || p.latest_escalation_tier === "emergency";
      }
      if (pharmacist && p.emergency_unclaimed_half_sla > 0) {
        parts.push('<a href="/escalations">' + p.emergency_unclaimed_half_sla + " 个紧急工单无人认领已过半个SLA</a>");
        urgent = true;
      }
      if (p.overdue_open > 0 && pharmacist) {
        parts.push('<a href="/escalations">' + p.overdue_open + " 个工单已超时未处理</a>");
        urgent = true;
      }
      if (p.adr_overdue > 0 && pharmacist) {
        parts.push('<a href="/adr">' + p.adr_overdue + " 份不良反应报告已超过报告时限</a>");
        urgent = true;
      }
      if (p.adr_clusters > 0) {
        parts.push('<a href="/adr">聚集性预警：' + p.adr_clusters + " 项可能的药品群体不良事件</a>");
        urgent = true;
      }
      if (prev && pharmacist) {
        if (p.latest_escalation_id > (prev.latest_escalation_id || 0) && p.latest_escalation_tier === "emergency") {
          notify("新的紧急工单 #" + p.latest_escalation_id, "/escalations/" + p.latest_escalation_id);
        } else if (p.emergency_unclaimed_half_sla > prev.emergency_unclaimed_half_sla) {
          notify("紧急工单无人认领，已过半个SLA", "/escalations");
        }
      }
      if (prev && p.version !== prev.version) {
        var ids = [];
        var list = document.getElementById("conv-list");
        if (list && untouched(list)) ids.push("conv-list");
        if (document.getElementById("queue")) ids.push("queue");
        // a case page: its status and what may be done with it follow a claim or an answer
        // made elsewhere (the answer box is kept while something is typed in it)
        if (document.getElementById("case-head")) ids.push("case-head");
        var actions = document.getElementById("case-actions");
        if (actions && untouched(actions)) ids.push("case-actions");
        else if (actions) staleCase = true;
        if (conversation && p.conversation_last_message_id > lastMessage) {
          ids.push("messages");
          var col = document.getElementById("suggestion-col");
          if (col && untouched(col)) { ids.push("suggestion-col"); staleDraft = false; }
          else if (col && (document.getElementById("act-form") || document.getElementById("reply-form"))) staleDraft = true;
          lastMessage = p.conversation_last_message_id;
        }
        if (ids.length) swap(ids);
      }
      // agents: customers still waiting for a reply, counted (the list updates itself; this
      // says so on every page and in the tab's title)
      var waiting = pharmacist ? 0 : (p.waiting_for_agent || 0);
      if (waiting > 0 && prev && p.latest_message_id > (first.latest_message_id || 0)) {
        parts.push('<a href="/?f=waiting">' + waiting + " 条顾客消息待回复</a>");
      }
      if (staleCase) {
        parts.push('<a href="">工单状态已变化：点击刷新（正在输入的答复会保留）</a>');
      }
      if (staleDraft) {
        parts.push('<a href="">顾客有新消息，建议已更新：点击刷新（正在编辑的草稿会被替换）</a>');
      }
      prev = p;
      live.hidden = parts.length === 0;
      live.innerHTML = parts.join(" · ");
      live.classList.toggle("urgent", urgent);
      var count = waiting > 0 ? "【" + waiting + "条待回复】" : parts.length ? "【有新动态】" : "";
      document.title = count + baseTitle;
    };

    var query = conversation ? "?conversation=" + encodeURIComponent(conversation) : "";
    if (window.EventSource) {
      var source = new EventSource(body.dataset.eventsUrl + query);
      source.addEventListener("desk", function (ev) { onPulse(JSON.parse(ev.data)); });
      body.dataset.live = "events";
    } else {  // no EventSource: ask every few seconds instead
      var poll = function () {
        fetch(body.dataset.pulseUrl + query, {credentials: "same-origin", headers: {"X-CSRF-Token": body.dataset.csrf}})
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (p) { if (p) onPulse(p); })
          .catch(function () {});
      };
      poll();
      setInterval(poll, 5000);
      body.dataset.live = "polling";
    }
  }

  // Knowledge page: while an upload's index rebuild runs, poll its progress; reload when done.
  var rebuild = document.getElementById("kb-rebuild");
  if (rebuild && rebuild.dataset.state === "running") {
    var poll = setInterval(function () {
      fetch("/kb/rebuild", { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (st) {
          if (st.state !== "running") { clearInterval(poll); window.location = "/kb"; return; }
          var p = rebuild.querySelector("p");
          if (p) p.textContent = "正在重建索引（" + st.file + "）：" + (st.stage || "准备") + " " +
            st.done + "/" + st.total + "，已用 " + st.seconds + " 秒。重建期间检索和草稿照常使用旧索引；完成后本页自动刷新。";
        });
    }, 1000);
  }

  // Check the text with the verifier before it is sent (bound again when the live update
  // replaces the suggestion panel): the draft form (accept / edit / reject) and, after a
  // rejection, the agent's own reply.
  function bindVerified(form, box, warning, original) {
    form.addEventListener("submit", function (ev) {
      var action = ev.submitter ? ev.submitter.value : "accept";
      if (action === "reject" || form.dataset.checked === "1") return;
      if (!box || !box.value.trim() || box.value.trim() === original.trim()) return;  // unchanged draft: already verified; empty: the server says so
      ev.preventDefault();
      fetch(form.dataset.verifyUrl, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
        body: JSON.stringify({text: box.value})
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (res.outcome === "pass") { form.dataset.checked = "1"; submitWith(form, action); return; }
        var reasons = (res.findings || []).map(function (f) { return f.detail; }).join("；");
        warning.textContent = (res.outcome === "block" ? "不能发送：" : "请注意：") + reasons;
        warning.hidden = false;
        if (res.outcome === "warn" && window.confirm("发送前核查提示：" + reasons + "\n仍要发送吗？")) {
          form.querySelector("input[name=confirm_warnings]").value = "1";
          form.dataset.checked = "1";
          submitWith(form, action);
        }
      });
    });
  }
  function submitWith(form, action) {
    var field = form.querySelector("input[name=action]");
    if (field) field.value = action;
    form.submit();
  }
  // Ctrl+Enter (or ⌘+Enter) in a text box presses that form's send button; nowhere else (not
  // from the reject-reason box, not from the page).
  function sendOnCtrlEnter(box, button) {
    if (box && button) box.addEventListener("keydown", function (ev) {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter") {
        ev.preventDefault();
        button.click();
      }
    });
  }
  function bindActForm() {
    var form = document.getElementById("act-form");
    if (form) {
      var box = form.querySelector("textarea[name=final_text]");
      bindVerified(form, box, document.getElementById("verify-warning"), box ? box.value : "");
      sendOnCtrlEnter(box, form.querySelector("button[value=accept]"));
      // Enter in the reject-reason box rejects (the browser's implicit submission would press
      // the form's first button, 采纳发送, and send the draft the agent meant to reject)
      var reason = form.querySelector("input[name=reason]");
      if (reason) reason.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") {
          ev.preventDefault();
          if (!ev.ctrlKey && !ev.metaKey && reason.value.trim()) {
            form.querySelector("button[value=reject]").click();
          }
        }
      });
      form.querySelectorAll("button[name=action_button]").forEach(function (b) {
        b.addEventListener("click", function () {
          form.querySelector("input[name=action]").value = b.value;
          // rejecting a draft the agent had already edited: the edit goes on to the own-reply
          // box that comes next, so it is not retyped
          if (b.value === "reject" && box && window.sessionStorage && box.value !== box.defaultValue) {
            sessionStorage.setItem("own-reply:" + form.getAttribute("action"), box.value);
          }
        });
      });
    }
    var reply = document.getElementById("reply-form");
    if (reply) {
      var text = reply.querySelector("textarea[name=text]");
      var edited = window.sessionStorage && sessionStorage.getItem(
        "own-reply:" + reply.getAttribute("action").replace(/\/reply$/, "/act"));
      if (edited !== null && edited !== undefined && text && !text.value) {
        text.value = edited;
        sessionStorage.removeItem("own-reply:" + reply.getAttribute("action").replace(/\/reply$/, "/act"));
      }
      bindVerified(reply, text, document.getElementById("reply-warning"), "");
      sendOnCtrlEnter(text, reply.querySelector("button[type=submit]"));
    }
  }
  bindActForm();

  // A pharmacist's answer or correction the check blocks (or sent before claiming) comes back
  // on a reloaded page: what was typed is kept in this tab (sessionStorage) when the form is
  // sent and put back on the next load, so nothing is retyped before fixing or overriding.
  function keepTyped(id) {
    var box = document.getElementById(id);
    if (!box || !box.form || !window.sessionStorage) return;
    var key = "typed:" + location.pathname + ":" + id;
    var saved = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
    if (saved !== null && saved.trim() && saved !== box.value) {
      box.value = saved;
      var card = box.closest("details");
      if (card) card.open = true;
    }
    var save = function () { sessionStorage.setItem(key, box.value); };
    box.form.addEventListener("submit", save);
    box.addEventListener("input", save);  // also kept across a reload the live banner asks for
  }

  // The health-record form: a save refused (someone else saved the record in between, or a
  // field was wrong) comes back as a reloaded page with the stored record. What this user had
  // changed from the record they started from is put back on top of it and marked, and a field
  // the other person changed too shows what they saved, so the two edits can be merged by eye.
  // After a save that went through, every change is already in the form and nothing happens.
  function keepEdits(form) {
    if (!form || !window.sessionStorage) return;
    var key = "record:" + form.getAttribute("action");
    function values() {
      var out = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (el.name && ["csrf_token", "version", "next"].indexOf(el.name) < 0) {
          out[el.name] = el.type === "checkbox" ? String(el.checked) : el.value;
        }
      });
      return out;
    }
    var start = values();
    var saved = sessionStorage.getItem(key);
    sessionStorage.removeItem(key);
    if (saved) {
      var was = JSON.parse(saved), kept = [];
      Object.keys(was.mine).forEach(function (name) {
        var el = form.elements[name];
        // several fields of one name (a group of checkboxes): left as the page has them
        if (!el || (el.length !== undefined && el.tagName !== "SELECT")) return;
        var cur = el.type === "checkbox" ? String(el.checked) : el.value;
        if (was.mine[name] === was.base[name] || cur === was.mine[name]) return;
        var theirs = cur;
        if (el.type === "checkbox") el.checked = was.mine[name] === "true";
        else el.value = was.mine[name];
        el.classList.add("kept");
        if (theirs !== was.base[name]) {  // changed by both: show what the other saved
          var note = document.createElement("span");
          note.className = "kept-note";
          note.textContent = "同事保存的是：" + (theirs || "（空）");
          el.insertAdjacentElement("afterend", note);
        }
        kept.push(name);
      });
      if (kept.length) form.dataset.kept = kept.join(",");
    }
    form.addEventListener("submit", function () {
      sessionStorage.setItem(key, JSON.stringify({base: start, mine: values()}));
    });
  }
  // the health record and the ADR report: both saved at a version, both edited by two people
  keepEdits(document.getElementById("record-form"));
  keepEdits(document.getElementById("adr-form"));

  // Case page: 使用参考草稿 puts the draft prepared for the pharmacist (without [n] markers) in
  // the answer box; an answer already typed is replaced only when the pharmacist agrees. A
  // source's number opens that source below.
  function bindCaseActions() {
    keepTyped("answer-text");
    keepTyped("correct-text");
    var useDraft = document.getElementById("use-reference-draft");
    var answerBox = document.getElementById("answer-text");
    if (useDraft && answerBox) useDraft.addEventListener("click", function () {
      var draft = useDraft.dataset.draft;
      if (answerBox.value.trim() && answerBox.value !== draft &&
          !window.confirm("用参考草稿替换已输入的答复吗？")) return;
      answerBox.value = draft;
      answerBox.focus();
    });
  }
  bindCaseActions();
  document.querySelectorAll("a[data-cite]").forEach(function (a) {
    a.addEventListener("click", function () {
      var source = document.getElementById("cite-" + a.dataset.cite);
      if (source) source.open = true;
    });
  });
})();

// Actions that cannot be taken back (reset a password, rotate a token, deactivate a user): the
// form asks first, in the words its data-confirm attribute gives.
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
});
