// The console's only script, served from the server's own origin (the
// content security policy allows no inline script). Pages work without
// it; it adds copy buttons and confirmations of destructive buttons.
"use strict";
document.addEventListener("click", async (ev) => {
  const copy = ev.target.closest("button.copy");
  if (copy) {
    const text = copy.dataset.copy || "";
    try {
      await navigator.clipboard.writeText(text);
      copy.textContent = "Copied";
    } catch {
      // No clipboard (a plain-http address): select the value instead.
      const code = copy.parentElement.querySelector("code");
      if (code) {
        const range = document.createRange();
        range.selectNodeContents(code);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      copy.textContent = "Press Ctrl+C";
    }
    setTimeout(() => { copy.textContent = "Copy"; }, 2000);
    return;
  }
  const confirmButton = ev.target.closest("button[data-confirm]");
  if (confirmButton && !window.confirm(confirmButton.dataset.confirm)) {
    ev.preventDefault();
  }
});

// A form marked data-autosubmit (the migration wizard's next batch) is
// sent by itself a moment after the page shows.
window.addEventListener("load", () => {
  const next = document.querySelector("form[data-autosubmit]");
  if (next) setTimeout(() => next.requestSubmit(), 500);
});
