// Pickers on a record's form: choosing a finalised document or a party fills in the fields
// it answers (送达文书名称 and 文号, the 被询问人's details); they stay editable.
(function () {
  document.querySelectorAll("select[data-fill]").forEach(function (select) {
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (!option || !option.dataset.values) return;
      var values = JSON.parse(option.dataset.values);
      Object.keys(values).forEach(function (key) {
        var input = select.form.elements[key];
        if (input) input.value = values[key] == null ? "" : values[key];
      });
    });
  });
})();
