// Donor picker for recording donations: a suggestion fills the donor, typing again clears it.
document.addEventListener("click", (event) => {
  const pick = event.target.closest("button.pick");
  const form = pick && pick.closest("form[data-donor-picker]");
  if (!form) return;
  form.querySelector("[name=donor_id]").value = pick.dataset.donorId;
  form.querySelector("[name=donor_name]").value = pick.dataset.donorName;
  pick.closest(".suggestions").replaceChildren();
  form.querySelector("[name=amount]").focus();
});

document.addEventListener("input", (event) => {
  const form = event.target.closest("form[data-donor-picker]");
  if (form && event.target.name === "donor_name") {
    form.querySelector("[name=donor_id]").value = "";
  }
});

// After a batch row is saved the entry block is swapped in: put the cursor back in "donor".
document.addEventListener("htmx:after:swap", () => {
  const field = document.querySelector("#entry [autofocus]");
  if (field) field.focus();
});
