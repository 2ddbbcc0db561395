// The console's only script, served from the server's own origin (the
// content security policy allows no inline script). Pages work without
// it; it adds copy buttons, confirmations of destructive buttons, sends
// the migration wizard's next batch, and follows the parts of pages that
// change while open.
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

// A part of a page that changes while it is open (a sync under way) is
// marked data-poll="SECONDS": the page is fetched again that often and the
// part swapped in place, so focus and the reading position stay and a
// screen reader hears the change from its live region. A meta refresh
// would reload the whole page every few seconds, a time limit WCAG 2.2.1
// forbids. When the part is gone from the page (the sync ended), the page
// is loaded whole. Without this script, the page's "Check again" link
// does the same by hand.
const polled = document.querySelector("[data-poll][id]");
if (polled) {
  const every = Math.max(1, Number(polled.dataset.poll) || 5) * 1000;
  const poll = async () => {
    try {
      const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (res.ok) {
        const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById(polled.id);
        if (!next) {
          location.reload();
          return;
        }
        if (next.innerHTML !== polled.innerHTML) polled.innerHTML = next.innerHTML;
      }
    } catch {
      // The server is away for a moment: try again at the next turn.
    }
    setTimeout(poll, every);
  };
  setTimeout(poll, every);
}
