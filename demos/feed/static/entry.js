// The Entry module's script: like and comment without leaving the page.
// squall includes it once, however many entries the page shows.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  const entry = form.closest(".entry");
  if (!entry || !(form.classList.contains("like") || form.classList.contains("comment-form"))) {
    return;
  }
  event.preventDefault();
  try {
    await window.feed.post(form.action, new FormData(form));
    if (form.classList.contains("comment-form")) form.reset();
    window.feed.refresh(Number(entry.dataset.entryId), false);
  } catch (error) {
    alert(error.message);
  }
});
