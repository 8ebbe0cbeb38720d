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
