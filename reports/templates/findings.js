// Filters the findings table: by status, severity and a text search over each row's text.
// It reads only the page's own elements and writes only their visibility and a count.
(function () {
  const rows = Array.from(document.querySelectorAll("#findings tbody tr"));
  const status = document.getElementById("status");
  const severity = document.getElementById("severity");
  const search = document.getElementById("search");
  const shown = document.getElementById("shown");
  function apply() {
    const wanted = status.value;
    const level = severity.value;
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let count = 0;
    for (const row of rows) {
      const text = row.textContent.toLowerCase();
      const visible =
        (wanted === "all" || (wanted === "problems" ? row.dataset.status === "fail" || row.dataset.status === "error" : row.dataset.status === wanted)) &&
        (level === "all" || row.dataset.severity === level) &&
        words.every((word) => text.includes(word));
      row.hidden = !visible;
      if (visible) count += 1;
    }
    shown.textContent = "Showing " + count + " of " + rows.length + " results";
  }
  for (const control of [status, severity, search]) control.addEventListener("input", apply);
  document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
  apply();
})();
