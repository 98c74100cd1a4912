// Live stage progress: poll the run's status every second while it works, reload when it settles.
(function () {
  const el = document.getElementById("status");
  if (!el) return;
  const settled = ["COMPLETED", "CANCELLED", "FAILED", "AWAITING_REVIEW"];
  if (settled.includes(el.textContent.trim())) return;
  const poll = async () => {
    const r = await fetch(`/runs/${el.dataset.run}/status`, {credentials: "same-origin"});
    if (!r.ok) return;
    const s = await r.json();
    el.textContent = s.status;
    const done = new Set(s.stages_done.map((p) => p[0]));
    document.querySelectorAll("#stages li").forEach((li) => li.classList.toggle("done", done.has(li.dataset.stage)));
    if (settled.includes(s.status)) { location.reload(); } else { setTimeout(poll, 1000); }
  };
  setTimeout(poll, 1000);
})();
