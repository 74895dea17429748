// 「ヘルプ」 by F1 (Esc closes) and the logged 「画面ハードコピー」 (standard 10.5-a, 10.7-a).
// Without script the help is still a <details> panel and the hard copy form posts and is recorded.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var help = document.getElementById("screen-help");
    if (!help) return;
    if (event.key === "F1") {
      event.preventDefault();
      help.open = !help.open;
      if (help.open) help.querySelector("summary").focus();
    } else if (event.key === "Escape" && help.open) {
      help.open = false;
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "screen-hardcopy") return;
    event.preventDefault();
    // Recorded first; the print dialog opens only once the audit entry is written.
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    }).then(function (response) {
      if (response.ok) window.print();
      else alert("画面ハードコピーを記録できませんでした。印刷は行いません。");
    });
  });
})();
