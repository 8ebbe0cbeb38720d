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
  }
  tick();
  setInterval(tick, 1000);

  // Live desk: poll what changed (new escalations, overdue cases, a new customer message in the
  // open conversation) and say so in a banner; nothing reloads by itself (a draft being edited
  // is never lost). The first answer is the baseline.
  var body = document.body, live = document.getElementById("live");
  if (body.dataset.pulseUrl && live) {
    var box = document.getElementById("messages");
    var conversation = box ? box.dataset.conversation : "";
    var lastMessage = box ? Number(box.dataset.lastMessage || 0) : 0;
    var seenEscalation = null, baseTitle = document.title;
    var tierName = {emergency: "紧急", priority: "优先", routine: "常规"};
    var pulse = function () {
      var url = body.dataset.pulseUrl + (conversation ? "?conversation=" + encodeURIComponent(conversation) : "");
      fetch(url, {credentials: "same-origin", headers: {"X-CSRF-Token": body.dataset.csrf}})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return;
          var parts = [], urgent = false;
          if (seenEscalation === null) seenEscalation = p.latest_escalation_id || 0;
          if (p.latest_escalation_id && p.latest_escalation_id > seenEscalation) {
            parts.push('<a href="/escalations/' + p.latest_escalation_id + '">新的转药师工单 #' +
              p.latest_escalation_id + "（" + (tierName[p.latest_escalation_tier] || "") + "）</a>");
            urgent = urgent || p.latest_escalation_tier === "emergency";
          }
          if (p.overdue_open > 0 && body.dataset.role !== "agent") {
            parts.push('<a href="/escalations">' + p.overdue_open + " 个工单已超时未处理</a>");
            urgent = true;
          }
          if (p.adr_overdue > 0 && body.dataset.role !== "agent") {
            parts.push('<a href="/adr">' + p.adr_overdue + " 份不良反应报告已超过报告时限</a>");
            urgent = true;
          }
          if (p.adr_clusters > 0) {
            parts.push('<a href="/adr">聚集性预警：' + p.adr_clusters + " 项可能的药品群体不良事件</a>");
            urgent = true;
          }
          if (conversation && p.conversation_last_message_id > lastMessage) {
            parts.push('<a href="">顾客有新消息，点击刷新查看</a>');
          }
          live.hidden = parts.length === 0;
          live.innerHTML = parts.join(" · ");
          live.classList.toggle("urgent", urgent);
          document.title = (parts.length ? "【" + parts.length + "条新动态】" : "") + baseTitle;
        })
        .catch(function () {});
    };
    pulse();
    setInterval(pulse, Number(body.dataset.pulseMs || 5000));
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

  // Check the final text with the verifier before it is sent.
  var form = document.getElementById("act-form");
  if (form) {
    var box = form.querySelector("textarea[name=final_text]");
    var warning = document.getElementById("verify-warning");
    var original = box ? box.value : "";
    form.addEventListener("submit", function (ev) {
      var action = ev.submitter ? ev.submitter.value : "accept";
      if (action === "reject" || form.dataset.checked === "1") return;
      if (!box || box.value.trim() === original.trim()) return;  // unchanged draft: already verified
      ev.preventDefault();
      fetch(form.dataset.verifyUrl, {
        method: "POST",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
        body: JSON.stringify({text: box.value})
      }).then(function (r) { return r.json(); }).then(function (res) {
        if (res.outcome === "pass") { form.dataset.checked = "1"; submitWith(action); return; }
        var reasons = (res.findings || []).map(function (f) { return f.detail; }).join("；");
        warning.textContent = (res.outcome === "block" ? "不能发送：" : "请注意：") + reasons;
        warning.hidden = false;
        if (res.outcome === "warn" && window.confirm("发送前核查提示：" + reasons + "\n仍要发送吗？")) {
          form.querySelector("input[name=confirm_warnings]").value = "1";
          form.dataset.checked = "1";
          submitWith(action);
        }
      });
    });
    function submitWith(action) {
      form.querySelector("input[name=action]").value = action;
      form.submit();
    }
    // Ctrl+Enter (or ⌘+Enter) in the draft box sends the draft as shown; nowhere else (not
    // from the reject-reason box, not from the page).
    document.addEventListener("keydown", function (ev) {
      if ((ev.ctrlKey || ev.metaKey) && ev.key === "Enter" && box && ev.target === box) {
        ev.preventDefault();
        var accept = form.querySelector("button[value=accept]");
        if (accept) accept.click();
      }
    });
    form.querySelectorAll("button[name=action_button]").forEach(function (b) {
      b.addEventListener("click", function () { form.querySelector("input[name=action]").value = b.value; });
    });
  }
})();
