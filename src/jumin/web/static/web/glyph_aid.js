// 外字入力補助 (registry/widgets/glyph_aid.html): a picked glyph goes in at the cursor of its name field.
document.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-glyph]");
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.glyphTarget);
  if (!field) {
    return;
  }
  const start = field.selectionStart ?? field.value.length;
  const end = field.selectionEnd ?? field.value.length;
  field.setRangeText(button.dataset.glyph, start, end, "end");
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.focus();
});
