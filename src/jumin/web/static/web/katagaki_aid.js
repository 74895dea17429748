// 方書の候補 (registry/widgets/katagaki_aid.html): a picked 方書 fills its field; a room number follows.
document.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-katagaki]");
  if (!button) {
    return;
  }
  const field = document.getElementById(button.dataset.katagakiTarget);
  if (!field) {
    return;
  }
  field.value = button.dataset.katagaki;
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.focus();
});
