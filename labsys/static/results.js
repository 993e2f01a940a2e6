// Result entry by keyboard: Enter moves to the next result field (Tab works as usual);
// Enter in the last field, or Ctrl+Enter anywhere, saves the page.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.result-entry");
  if (!form) return;
  const inputs = Array.from(form.querySelectorAll("input.result-input"));
  inputs.forEach((input, index) => {
    input.addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      if (event.ctrlKey || index === inputs.length - 1) {
        form.requestSubmit();
      } else {
        inputs[index + 1].focus();
        inputs[index + 1].select();
      }
    });
  });
  const first = form.querySelector("input.result-input.is-invalid") ||
    inputs.find((input) => !input.value) || inputs[0];
  if (first) first.focus();
});
